"""Orders: checkout from the cart, the order state machine with its timeline, expiry, history."""
