"""The shopping cart (a stand-in on the orders branch: see service.py)."""
