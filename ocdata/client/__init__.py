"""The client: one typed, dialect-free API over every OpenCart wire dialect.

>>> store = ocdata.connect("http://shop.example/", "Default", key)      # doctest: +SKIP
>>> draft = OrderDraft(customer=..., lines=(CartLine(product_id=40),),
...                    shipping_address=Address(country="US", zone="CA", ...))  # doctest: +SKIP
>>> store.quote(draft).options                                          # doctest: +SKIP
"""

from .credentials import Credentials, Secret, resolve_credentials
from .errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    OcdataError,
    OcdataWarning,
    OrderStateUnknownError,
    PermissionDeniedError,
    PermissionError_,
    ProtocolError,
    SessionExpiredError,
    TransportError,
    UnsupportedOperationError,
    ValidationError,
)
from .models import (
    Address,
    Cart,
    CartLine,
    CartProduct,
    Country,
    Customer,
    OrderDraft,
    OrderResult,
    PaymentMethod,
    Quote,
    QuoteOption,
    SelectedOption,
    ShippingQuote,
    SubscriptionDraft,
    TotalLine,
    Zone,
)
from .store import Store, connect
from .transport import RequestRecord

__all__ = [
    "connect", "Store", "RequestRecord", "Credentials", "Secret", "resolve_credentials",
    "Address", "Cart", "CartLine", "CartProduct", "Country", "Customer", "OrderDraft", "OrderResult",
    "PaymentMethod", "Quote", "QuoteOption", "SelectedOption", "ShippingQuote", "SubscriptionDraft",
    "TotalLine", "Zone",
    "OcdataError", "ConfigurationError", "AuthenticationError", "PermissionDeniedError", "PermissionError_",
    "ValidationError", "NotFoundError", "ProtocolError", "TransportError", "SessionExpiredError",
    "OrderStateUnknownError", "UnsupportedOperationError", "OcdataWarning",
]
