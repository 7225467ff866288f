"""The officers' API (`conduct api`): the only process officers reach that holds the Temporal
client, the encryption keys and the register; the `conduct` CLI is its client (starter/remote.py)."""
