"""OpenCart's en-gb API texts that several fronts answer with, spelled once.

Every version from 3.0 to 4.1 (and the ``spec`` front, which words the seed file's gaps
the 4.x way) uses these strings where they mean the same thing; a front keeps its own
module-level constant only for a text that is its version's alone. Texts marked
``[src]`` were read in OpenCart's ``catalog/language/en-gb/api`` files rather than seen
in a recording.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CALL_NOT_FOUND = "API call not found"
LOGIN_SUCCESS = "Success: API session successfully started!"
INCORRECT_KEY = "Warning: Incorrect API Key!"
IP_REFUSED = "Warning: Your IP {ip} is not allowed to access this API!"

CUSTOMER_SUCCESS = "You have successfully modified customers"
CART_SUCCESS = "Success: You have modified your shopping cart!"
PAYMENT_ADDRESS_SUCCESS = "Success: Payment address has been set!"
SHIPPING_ADDRESS_SUCCESS = "Success: Shipping address has been set!"
SHIPPING_METHOD_SUCCESS = "Success: Shipping method has been set!"
PAYMENT_METHOD_SUCCESS = "Success: Payment method has been set!"
AFFILIATE_SUCCESS = "Success: Affiliate commission will be applied to this order!"
ORDER_SUCCESS = "Success: You have modified orders!"
COUPON_SUCCESS = "Success: Your coupon discount has been applied!"  # [src]
REWARD_SUCCESS = "Success: Your reward points discount has been applied!"  # [src]
CURRENCY_SUCCESS = "Success: Your currency has been changed!"

CART_WARNING = "Warning: Please check the cart carefully for errors!"
PRODUCT_NOT_FOUND = "Warning: Product could not be found!"
PRODUCTS_REQUIRED = "Warning: Products required!"
OPTION_REQUIRED = "{} required!"
MINIMUM = "Minimum order amount for {} is {}!"
ORDER_MINIMUM = "Warning: Minimum order amount for {} is {}!"  # [src]
CONFIRM_STOCK = "Warning: Products marked with *** are not available in the desired quantity or not in stock!"
CART_STOCK = "Products marked with *** are not available in the desired quantity or not in stock!"
CUSTOMER_REQUIRED = "Warning: Customer details required!"
CUSTOMER_NOT_FOUND = "Warning: Customer could not be found!"
SHIPPING_ADDRESS_REQUIRED = "Warning: Shipping address required!"
PAYMENT_ADDRESS_REQUIRED = "Warning: Payment address required!"
NO_SHIPPING_PRODUCTS = "Warning: There are no products that require shipping"
NO_SHIPPING_OPTIONS = "Warning: No Shipping options are available!"
SHIPPING_METHOD_REQUIRED = "Warning: Shipping method required!"
PAYMENT_METHOD_REQUIRED = "Warning: Payment method required!"
#: 4.x's payment-method controller writes "payment" in lower case; 3.0's and its order controllers do not
NO_PAYMENT_OPTIONS = "Warning: No payment options are available!"
NO_PAYMENT_OPTIONS_CAPITALISED = "Warning: No Payment options are available!"
AFFILIATE_NOT_FOUND = "Warning: Affiliate could not be found!"
ORDER_NOT_FOUND = "Warning: Order could not be found!"
SUBSCRIPTION_REQUIRED = "Warning: Subscription required!"
COUPON_INVALID = "Warning: Coupon is either invalid, expired or reached it's usage limit!"
REWARD_MAXIMUM = "Warning: The maximum number of points that can be applied is {}!"  # [src]
REWARD_POINTS = "Warning: You don't have {} reward points!"  # [src]


#: ``text_<frequency>`` of 4.0's ``api/sale/cart`` language file (4.1 capitalises them: :mod:`.oc41_wire`)
FREQUENCIES = {"day": "day", "week": "week", "semi_month": "half-month", "month": "month", "year": "year"}


def subscription_text(plan: Any, amount: Callable[[float], str]) -> str:
    """A cart line's subscription plan in 4.0's words (``""`` without one); ``amount`` formats a
    price with tax: ``"$10.00 every 1 month(s) for 12 payment(s)"``, a trial first with " then "."""
    if plan is None:
        return ""

    def part(price: float, cycle: int, frequency: str, duration: int) -> str:
        unit = FREQUENCIES.get(frequency, frequency)
        if duration:
            return f"{amount(price)} every {cycle} {unit}(s) for {duration} payment(s)"
        return f"{amount(price)} every {cycle} {unit}(s) until canceled"

    text = part(plan.price, plan.cycle, plan.frequency, plan.duration)
    if plan.trial_status:  # 4.0's trial text always counts its payments
        trial = FREQUENCIES.get(plan.trial_frequency, plan.trial_frequency)
        text = (f"{amount(plan.trial_price)} every {plan.trial_cycle} {trial}(s) for {plan.trial_duration} payment(s)"
                f" then {text}")
    return text
