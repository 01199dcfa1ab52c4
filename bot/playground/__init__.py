"""`cekura-bot playground`: the sandboxed bot behind a web page that looks like a Slack channel."""
