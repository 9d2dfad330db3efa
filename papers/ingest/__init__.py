"""What comes in: arXiv's API and OAI-PMH, PDF text and figures (read in an isolated child process)."""
