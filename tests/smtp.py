"""A real SMTP server on a local port (aiosmtpd) that keeps what it accepts, for the mail tests and the bench."""

import asyncio
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from .processes import free_port


class SmtpSink:
    """`refuse` maps an address to the answer its RCPT TO gets ("550 5.1.1 No such user"), `refuse_sender` is the
    answer to every MAIL FROM if set; `pause` is how long
    each RCPT TO waits before its answer; `on_rcpt(address, count)` is called as it arrives, with the number of
    mails accepted so far."""

    def __init__(self, keep=True):
        self.messages = []
        self.accepted = 0
        self.refuse = {}
        self.refuse_sender = None  # the answer every MAIL FROM gets, as a server that will not take our mail
        self.pause = 0
        self.on_rcpt = None
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                if sink.refuse_sender:
                    return sink.refuse_sender
                envelope.mail_from = address
                return "250 OK"

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.on_rcpt:
                    sink.on_rcpt(address, sink.accepted)
                if sink.pause:
                    await asyncio.sleep(sink.pause)
                if address in sink.refuse:
                    return sink.refuse[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                with sink.lock:
                    sink.accepted += 1
                    if keep:
                        message = message_from_bytes(envelope.content, policy=policy.default)
                        sink.messages.append((list(envelope.rcpt_tos), message))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def to(self, address):
        return [m for rcpts, m in self.messages if address in rcpts]

    def stop(self):
        self.controller.stop()
