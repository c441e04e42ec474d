"""Notification channels: email over SMTP and SMS through a provider, with their templates."""
