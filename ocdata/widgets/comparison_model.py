"""The comparison panel's view model: choose carts x destinations x groups, run a study, compare.

Pure Python (no ipywidgets). The source is either a connected store (the model runs a
small :class:`~ocdata.study.Study` for the chosen grid) or a study frame already
computed (the model filters it). Every store or study failure ends in
:attr:`ComparisonModel.notice`; the previous results stay until a run succeeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ocdata import compare, plots
from ocdata.client.models import Address
from ocdata.frames import STATUS_OK
from ocdata.study import Study, parse_cart, parse_destination
from ocdata.widgets.messages import Notice, error_notice
from ocdata.widgets.order_model import DEFAULT_CUSTOMER_GROUPS

__all__ = ["ComparisonModel", "DEFAULT_CARTS", "DEFAULT_DESTINATIONS", "METRICS", "CHARTS", "parse_destination_text"]

DEFAULT_CARTS: dict[str, str] = {"iPhone": "40x1", "2 iPod Classic": "48x2", "Samsung monitor": "33x1"}
"""Carts of OpenCart's demo catalogue (products 40, 48, 33); pass your store's own."""

DEFAULT_DESTINATIONS: dict[str, dict[str, str]] = {
    "London": {"country": "GB", "zone": "LDN", "postcode": "SW1A 1AA"},
    "Manchester": {"country": "GB", "zone": "MCH", "postcode": "M1 1AA"},
    "California": {"country": "US", "zone": "CA", "postcode": "94105"},
    "New York": {"country": "US", "zone": "NY", "postcode": "10001"},
    "Berlin": {"country": "DE", "zone": "BE", "postcode": "10115"},
}
"""Destinations with postcodes (UK and German stores require one) and stock OpenCart zone codes."""

CHARTS: dict[str, str] = {
    "heatmap": "the metric by destination and shipping method",
    "tax": "effective tax rate by destination and customer group",
}
"""Charts the panel offers (built by :mod:`ocdata.plots`)."""

METRICS: dict[str, str] = {
    "total": "order total (products, shipping and tax)",
    "cost": "shipping cost before tax",
    "cost_with_tax": "shipping cost with its tax",
}
"""What "cheapest" is measured on: a column of the study frame."""

_SCENARIO = ["cart", "destination", "customer_group_id"]
CHEAPEST_COLUMNS = ["cart", "destination", "customer_group_id", "quote_code", "name", "cost", "cost_with_tax",
                    "total", "n_methods", "status", "error"]


def parse_destination_text(text: str) -> Address:
    """``"GB-LDN SW1A 1AA"`` -> Address(country="GB", zone="LDN", postcode="SW1A 1AA"); postcode optional."""
    head, _, postcode = text.strip().partition(" ")
    if not head:
        raise ValueError("enter a destination like 'GB-LDN SW1A 1AA' (country-zone, then the postcode)")
    address = parse_destination(head)
    return address.model_copy(update={"postcode": postcode.strip()}) if postcode.strip() else address


class ComparisonModel:
    """Choices and results of one comparison.

    ``source`` is a connected store or a study frame (:meth:`Study.run`'s). With a store,
    ``carts``/``destinations`` (``{label: spec}``, formats of :mod:`ocdata.study`) and
    ``customer_groups`` (``{id: name}``) are what the user may pick from; ``cache`` is the
    studies' cache (None: ocdata's default cache). With a frame, the choices are the
    frame's own carts, destinations and groups.
    """

    def __init__(self, source: Any, *, carts: Mapping[str, Any] | None = None,
                 destinations: Mapping[str, Any] | None = None, customer_groups: Mapping[int, str] | None = None,
                 cache: Any = None, metric: str = "total", concurrency: int = 8, name: str | None = None) -> None:
        self.cache = cache
        self.concurrency = concurrency
        self.name = name
        self.notice: Notice | None = None
        self.frame: pd.DataFrame | None = None
        self.study: Study | None = None
        self.metric = metric
        if isinstance(source, pd.DataFrame):
            self.store, self.source_frame = None, source
            self.carts: dict[str, Any] = {str(c): None for c in _unique(source, "cart")}
            self.destinations: dict[str, Any] = {str(d): None for d in _unique(source, "destination")}
            names = dict(customer_groups or {})
            self.customer_groups: dict[int, str] = {
                int(g): names.get(int(g), f"group {int(g)}") for g in _unique(source, "customer_group_id")}
        elif source is None or not callable(getattr(source, "quote", None)):
            raise TypeError(f"ComparisonModel needs a connected store or a study frame, not {type(source).__name__}")
        else:
            self.store, self.source_frame = source, None
            self.carts = {}
            self.destinations = {}
            for label, spec in (carts or DEFAULT_CARTS).items():
                self.carts[str(label)] = parse_cart(spec)
            for label, spec in (destinations or DEFAULT_DESTINATIONS).items():
                self.destinations[str(label)] = parse_destination(spec)
            self.customer_groups = dict(customer_groups or DEFAULT_CUSTOMER_GROUPS)
        self.selected_carts: list[str] = list(self.carts)
        self.selected_destinations: list[str] = list(self.destinations)
        self.selected_groups: list[int] = list(self.customer_groups)[:1]
        self.excluded_methods: list[str] = []

    @property
    def metric(self) -> str:
        return self._metric

    @metric.setter
    def metric(self, value: str) -> None:
        if value not in METRICS:
            raise ValueError(f"metric {value!r}: one of {', '.join(METRICS)}")
        self._metric = value

    # ------------------------------------------------------------------ choices
    @property
    def can_add(self) -> bool:
        """New carts/destinations need a store to price them."""
        return self.store is not None

    def add_cart(self, label: str, spec: str) -> bool:
        """Offer (and select) a new cart, e.g. ``add_cart("bundle", "40x1, 48x2")``."""
        return self._add("cart", label, spec, parse_cart, self.carts, self.selected_carts)

    def add_destination(self, label: str, spec: str) -> bool:
        """Offer (and select) a new destination, e.g. ``add_destination("Leeds", "GB-YSW LS1 1AA")``."""
        return self._add("destination", label, spec, parse_destination_text, self.destinations,
                         self.selected_destinations)

    def _add(self, kind: str, label: str, spec: str, parse: Any, into: dict, selected: list) -> bool:
        label = (label or "").strip() or (spec or "").strip()
        if not self.can_add:
            self.notice = Notice("error", f"This panel shows a finished study: new {kind}s need a store.")
            return False
        try:
            value = parse(spec)
        except (ValueError, TypeError) as exc:
            self.notice = Notice("error", f"This {kind} cannot be added.", (str(exc).splitlines()[0],))
            return False
        if not label:
            self.notice = Notice("error", f"Give the {kind} a label.")
            return False
        into[label] = value
        if label not in selected:
            selected.append(label)
        self.notice = Notice("info", f"Added {kind} {label!r}.")
        return True

    def problems(self) -> list[str]:
        found = []
        if not self.selected_carts:
            found.append("Pick at least one cart.")
        if not self.selected_destinations:
            found.append("Pick at least one destination.")
        if not self.selected_groups:
            found.append("Pick at least one customer group.")
        return found

    # ------------------------------------------------------------------ running
    def run(self) -> pd.DataFrame | None:
        """Results for the chosen grid: a study against the store, or the source frame filtered."""
        problems = self.problems()
        if problems:
            self.notice = Notice("error", "Nothing to compare yet.", tuple(problems))
            return None
        try:
            frame = self._filtered() if self.store is None else self._run_study()
        except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
            self.notice = error_notice(exc, "study")
            return None
        self.frame = frame
        self.notice = self._run_notice(frame)
        return frame

    def _filtered(self) -> pd.DataFrame:
        df = self.source_frame
        assert df is not None
        keep = (df["cart"].astype(str).isin(self.selected_carts)
                & df["destination"].astype(str).isin(self.selected_destinations)
                & df["customer_group_id"].isin(self.selected_groups))
        return df[keep.to_numpy()].reset_index(drop=True)

    def _run_study(self) -> pd.DataFrame:
        # lists: parse_cart reads a tuple as one (product_id, quantity) line
        carts = {label: list(self.carts[label]) for label in self.selected_carts}
        destinations = {label: self.destinations[label] for label in self.selected_destinations}
        self.study = Study(self.store, carts=carts, destinations=destinations, customer_groups=self.selected_groups,
                           cache=self.cache, name=self.name)
        return self.study.run(concurrency=self.concurrency, progress=False)

    def _run_notice(self, frame: pd.DataFrame) -> Notice:
        keys = _scenario_keys(frame)
        scenarios = frame.drop_duplicates(keys)
        priced = frame.loc[(frame["status"].astype(str) == STATUS_OK).to_numpy(), keys].drop_duplicates()
        flag = scenarios[keys].merge(priced.assign(_priced=True), on=keys, how="left")["_priced"]
        failed = scenarios[flag.isna().to_numpy()]
        if len(scenarios) and failed.empty:
            return Notice("success", f"Compared {len(scenarios)} scenario(s).")
        details = tuple(dict.fromkeys(
            f"{r.cart} → {r.destination} (group {r.customer_group_id}): {r.error if isinstance(r.error, str) else r.status}"
            for r in failed.itertuples()))
        return Notice("warning", f"{len(failed)} of {len(scenarios)} scenario(s) could not be priced.", details[:10])

    # ------------------------------------------------------------------ results
    def methods(self) -> list[str]:
        """Shipping quote codes in the results (what :attr:`excluded_methods` may leave out)."""
        if self.frame is None:
            return []
        return sorted(str(c) for c in self.frame["quote_code"].dropna().unique())

    def compared(self) -> pd.DataFrame | None:
        """The results without the excluded methods (e.g. ``pickup.pickup``, which costs nothing)."""
        if self.frame is None:
            return None
        if not self.excluded_methods:
            return self.frame
        keep = ~self.frame["quote_code"].astype(object).isin(self.excluded_methods)
        return self.frame[keep.to_numpy()].reset_index(drop=True)

    def cheapest_table(self) -> pd.DataFrame:
        """One row per scenario: its cheapest method by :attr:`metric` (ties: one row each);
        a scenario nothing could be priced for keeps one row with its status and error."""
        frame = self.compared()
        if frame is None or frame.empty:
            return pd.DataFrame(columns=CHEAPEST_COLUMNS)
        ranked = compare.rank(frame, on=self.metric)
        keys = _scenario_keys(ranked)
        ok = (ranked["status"].astype(str) == STATUS_OK).to_numpy()
        counts = ranked[ok].groupby(keys).size().rename("n_methods").reset_index()
        best = ranked[ranked["cheapest"].to_numpy()]
        unpriced = ranked.merge(best[keys].drop_duplicates().assign(_best=True), on=keys, how="left")["_best"]
        missing = ranked[unpriced.isna().to_numpy()].drop_duplicates(keys)
        if not missing.empty:
            missing = missing.assign(quote_code=None, name=None, cost=float("nan"), cost_with_tax=float("nan"),
                                     total=float("nan"))
            best = pd.concat([best, missing], ignore_index=True)
        out = best.merge(counts, on=keys, how="left")
        out["n_methods"] = out["n_methods"].fillna(0).astype("int64")
        out = out.sort_values(keys + ["quote_code"], na_position="last", kind="stable")
        return out[CHEAPEST_COLUMNS].reset_index(drop=True)

    def pivot_table(self) -> pd.DataFrame:
        """``metric`` per scenario (rows) and method (columns); NaN where a method is not offered."""
        frame = self.compared()
        if frame is None or frame.empty:
            return pd.DataFrame()
        return compare.pivot(frame, values=self.metric, index=_SCENARIO, columns="quote_code")

    def figure(self, chart: str = "heatmap") -> Any:
        """A :class:`matplotlib.figure.Figure` of the results (None before a successful run)."""
        if chart not in CHARTS:
            raise ValueError(f"chart {chart!r}: one of {', '.join(CHARTS)}")
        frame = self.compared()
        if frame is None or frame.empty:
            return None
        if chart == "tax":
            return plots.tax_rate_chart(compare.effective_tax(frame))
        return plots.cost_heatmap(frame, value=self.metric, title=f"{self.metric} by destination and method "
                                                                      f"(mean over carts and groups)")


def _scenario_keys(df: pd.DataFrame) -> list[str]:
    """What identifies a scenario, also in several studies' frames concatenated."""
    return [c for c in ("study", "store", "scenario_id") if c in df.columns]


def _unique(df: pd.DataFrame, column: str) -> Sequence[Any]:
    if column not in df.columns:
        raise ValueError(f"a study frame needs a {column!r} column (see ocdata.study.Study.run)")
    return list(dict.fromkeys(df[column].dropna().tolist()))
