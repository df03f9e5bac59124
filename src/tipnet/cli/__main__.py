from tipnet.cli import app

app(prog_name="tipnet")
