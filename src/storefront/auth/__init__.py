"""Accounts: registration, login, passwords, OTPs and tokens."""
