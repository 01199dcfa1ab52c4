"""Talking to Slack: taking its requests over HTTP (`front`, `verify`) or Socket Mode (`socket`), and
what the bot sends it — escaped text (`text`), Block Kit within its limits (`shape`), messages and chart
files (`post`, `upload`), all through one client with bounded retries (`retry`)."""
