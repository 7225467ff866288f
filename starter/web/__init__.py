"""The public web app: how to complain, the complaint form, the signed JSON webhook, decision notices."""
