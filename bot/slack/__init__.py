"""Talking to Slack: verifying what it sends (`front`, `verify`), and what the bot sends it — escaped
text (`text`), Block Kit within its limits (`shape`), messages and chart files (`post`, `upload`), all
through one client with bounded retries (`retry`)."""
