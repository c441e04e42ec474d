"""The caller's own account: profile, password change, deletion, and the address book."""
