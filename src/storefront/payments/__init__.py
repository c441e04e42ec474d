"""Payments: the gateway layer (one interface; sandbox, Razorpay and Stripe behind it)."""
