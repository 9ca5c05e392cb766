"""The store's own data — catalog, customers, orders, returns, tax — read from its database."""
from ocdata.storedb.reader import FRAMES, StoreDB
from ocdata.storedb.sandbox import SandboxStoreDB, from_sandbox

__all__ = ["FRAMES", "StoreDB", "SandboxStoreDB", "from_sandbox"]
