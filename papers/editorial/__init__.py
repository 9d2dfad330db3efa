"""Editors' work: drafts, quality flags, the review rules and the review page's actions, posts."""
