"""The one failure a notification channel reports."""


class DeliveryError(Exception):
    """A message could not be handed to the mail server or SMS provider.

    The text names the server and its answer; it never holds credentials or the message body.
    """
