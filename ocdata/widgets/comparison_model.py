"""The comparison panel's view model: choose carts x destinations x groups, run a study, compare.

Pure Python (no ipywidgets). The source is either a connected store (the model runs a
small :class:`~ocdata.study.Study` for the chosen grid) or a study frame already
computed (the model filters it). Every store or study failure ends in
:attr:`ComparisonModel.notice`; the previous results stay until a run succeeds.

Defaults match ``ocdata demo``: collection methods (in-store pickup, :data:`COLLECTION_METHODS`)
are not deliveries and are left out of "cheapest" unless the analyst includes them, and
the panel says so. Charts compare like with like: the heatmap shows one cart at a time
(an average over carts would let the one cart that reaches free shipping make that cell
look dearest), the tax chart shows rates (tax per unit of taxable amount). Methods and
customer groups are shown by name, amounts with the store's currency.
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
from ocdata.widgets.money import UNKNOWN, Money, infer_money
from ocdata.widgets.order_model import DEFAULT_CUSTOMER_GROUPS
from ocdata.widgets.tasks import Cancelled

__all__ = ["ComparisonModel", "DEFAULT_CARTS", "DEFAULT_DESTINATIONS", "METRICS", "CHARTS", "COLLECTION_METHODS",
           "parse_destination_text"]

COLLECTION_METHODS: tuple[str, ...] = ("pickup",)
"""Shipping method codes that are collections, not deliveries: left out of "cheapest" by default."""
NOTHING_TO_COMPARE = "Nothing to compare yet."

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
    "heatmap": "one cart: metric by destination and method",
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
CHEAPEST_COLUMNS = ["cart", "destination", "customer_group_id", "customer_group", "method_name", "quote_code",
                    "name", "cost", "cost_with_tax", "total", "n_methods", "status", "error"]
SHOWN_COLUMNS = {"cart": "cart", "destination": "destination", "customer_group": "customer group",
                 "method_name": "cheapest method", "name": "quote", "cost": "shipping before tax",
                 "cost_with_tax": "shipping with tax", "total": "order total", "n_methods": "methods compared",
                 "status": "status", "error": "error"}


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
    frame's own carts, destinations and groups. ``exclude`` lists method codes
    (``"pickup"``) or quote codes (``"weight.weight_5"``) left out of the comparison
    (default: :data:`COLLECTION_METHODS`); ``money`` how amounts are written (None: learnt
    from the store's formatted totals on the first run).
    """

    def __init__(self, source: Any, *, carts: Mapping[str, Any] | None = None,
                 destinations: Mapping[str, Any] | None = None, customer_groups: Mapping[int, str] | None = None,
                 cache: Any = None, metric: str = "total", concurrency: int = 8, name: str | None = None,
                 exclude: Sequence[str] | None = COLLECTION_METHODS, money: Money | None = None) -> None:
        self.cache = cache
        self.concurrency = concurrency
        self.name = name
        self.notice: Notice | None = None
        self.frame: pd.DataFrame | None = None
        self.study: Study | None = None
        self.metric = metric
        self.money: Money = money or UNKNOWN
        if isinstance(source, pd.DataFrame):
            self.store, self.source_frame = None, source
            self.carts: dict[str, Any] = {str(c): None for c in _unique(source, "cart")}
            self.destinations: dict[str, Any] = {str(d): None for d in _unique(source, "destination")}
            names = dict(customer_groups or DEFAULT_CUSTOMER_GROUPS)
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
        self.excluded_methods: list[str] = list(exclude or ())
        self.chart_cart: str | None = None

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

    def select(self, *, carts: Sequence[str] | None = None, destinations: Sequence[str] | None = None,
               groups: Sequence[int] | None = None) -> None:
        """Change the selection; a "nothing to compare" message goes once the choice is made."""
        if carts is not None:
            self.selected_carts = list(carts)
        if destinations is not None:
            self.selected_destinations = list(destinations)
        if groups is not None:
            self.selected_groups = [int(g) for g in groups]
        if self.notice is not None and self.notice.title == NOTHING_TO_COMPARE:
            problems = self.problems()
            self.notice = Notice("error", NOTHING_TO_COMPARE, tuple(problems)) if problems else None

    def problems(self) -> list[str]:
        found = []
        if not self.selected_carts:
            found.append("Pick at least one cart.")
        if not self.selected_destinations:
            found.append("Pick at least one destination.")
        if not self.selected_groups:
            found.append("Pick at least one customer group.")
        return found

    def group_name(self, group_id: Any) -> str:
        try:
            gid = int(group_id)
        except (TypeError, ValueError):
            return str(group_id)
        return self.customer_groups.get(gid, f"group {gid}")

    # ------------------------------------------------------------------ running
    def run(self) -> pd.DataFrame | None:
        """Results for the chosen grid: a study against the store, or the source frame filtered."""
        job = self.begin_run()
        if job is None:
            return None
        try:
            frame = job()
        except Exception as exc:  # noqa: BLE001 - shown in the widget instead of a traceback
            return self.finish_run(None, exc)
        return self.finish_run(frame)

    def begin_run(self, cancel: Any = None) -> Any:
        """A callable computing the results (to run on any thread), or None with the notice saying why.

        ``cancel`` (a :class:`threading.Event`) stops a study between scenarios once set: the
        scenarios priced so far stay in the cache, and a new run resumes from them.
        """
        problems = self.problems()
        if problems:
            self.notice = Notice("error", NOTHING_TO_COMPARE, tuple(problems))
            return None
        if self.store is None:
            return self._filtered
        carts = {label: list(self.carts[label]) for label in self.selected_carts}
        destinations = {label: self.destinations[label] for label in self.selected_destinations}
        store = self.store if cancel is None else _Cancellable(self.store, cancel)

        def job() -> pd.DataFrame:
            # lists: parse_cart reads a tuple as one (product_id, quantity) line
            self.study = Study(store, carts=carts, destinations=destinations, customer_groups=self.selected_groups,
                               cache=self.cache, name=self.name)
            frame = self.study.run(concurrency=self.concurrency, progress=False)
            if not self.money.known:
                self.money = self._learn_money(store, carts)
            return frame

        return job

    def finish_run(self, frame: pd.DataFrame | None, error: BaseException | None = None) -> pd.DataFrame | None:
        """Take a run's results (``frame``) or its failure (``error``)."""
        if isinstance(error, Cancelled):
            self.cancelled()
            return None
        if error is not None or frame is None:
            self.notice = error_notice(error or RuntimeError("no results"), "study")
            return None
        self.frame = frame
        if self.chart_cart not in self.chart_carts():
            self.chart_cart = next(iter(self.chart_carts()), None)
        self.notice = self._run_notice(frame)
        return frame

    def cancelled(self) -> None:
        done = self.study.last_run if self.study is not None else None
        priced = f" {done.fetched} scenario(s) were priced and are cached:" if done is not None else ""
        self.notice = Notice("warning", f"Run cancelled.{priced} run again to resume; results shown are from the "
                                        "previous run." if self.frame is not None else
                             f"Run cancelled.{priced} run again to resume.")

    def _learn_money(self, store: Any, carts: Mapping[str, Any]) -> Money:
        """The store's currency from one cart's formatted totals (one request, once per panel)."""
        from ocdata.client.models import CartLine, OrderDraft

        try:
            lines = tuple(line if isinstance(line, CartLine) else CartLine(product_id=line[0], quantity=line[1])
                          for line in next(iter(carts.values())))
            cart = store.cart(OrderDraft(lines=lines))
        except Exception:  # noqa: BLE001 - amounts then show without a symbol, nothing else changes
            return self.money
        return infer_money(getattr(cart, "totals", ()))

    def _filtered(self) -> pd.DataFrame:
        df = self.source_frame
        assert df is not None
        keep = (df["cart"].astype(str).isin(self.selected_carts)
                & df["destination"].astype(str).isin(self.selected_destinations)
                & df["customer_group_id"].isin(self.selected_groups))
        return df[keep.to_numpy()].reset_index(drop=True)

    def _run_notice(self, frame: pd.DataFrame) -> Notice:
        keys = _scenario_keys(frame)
        scenarios = frame.drop_duplicates(keys)
        priced = frame.loc[(frame["status"].astype(str) == STATUS_OK).to_numpy(), keys].drop_duplicates()
        flag = scenarios[keys].merge(priced.assign(_priced=True), on=keys, how="left")["_priced"]
        failed = scenarios[flag.isna().to_numpy()]
        if len(scenarios) and failed.empty:
            return Notice("success", f"Compared {len(scenarios)} scenario(s).")
        details = tuple(dict.fromkeys(
            f"{r.cart} → {r.destination} ({self.group_name(r.customer_group_id)}): "
            f"{r.error if isinstance(r.error, str) else r.status}"
            for r in failed.itertuples()))
        return Notice("warning", f"{len(failed)} of {len(scenarios)} scenario(s) could not be priced.", details[:10])

    # ------------------------------------------------------------------ results
    def methods(self) -> list[tuple[str, str]]:
        """``(label, method_code)`` of the shipping methods in the results (what may be left out)."""
        codes = {c: c for c in self.excluded_methods}
        if self.frame is not None:
            rows = self.frame.loc[self.frame["method_code"].notna(), ["method_code", "method_name"]]
            for code, name in rows.drop_duplicates("method_code").itertuples(index=False, name=None):
                codes[str(code)] = str(name) if isinstance(name, str) and name else str(code)
        return [(f"{name} ({code})" if name != code else code, code) for code, name in
                sorted(codes.items(), key=lambda kv: kv[1].casefold())]

    def excluded_text(self) -> str:
        """What the panel says about the methods left out."""
        if not self.excluded_methods:
            return "Every shipping method is compared, collection methods included."
        names = {code: label for label, code in self.methods()}
        shown = ", ".join(names.get(c, c) for c in self.excluded_methods)
        collection = [c for c in self.excluded_methods if c in COLLECTION_METHODS]
        why = " (a collection from the store, not a delivery)" if collection else ""
        return f"Left out of the comparison: {shown}{why}. Change it under Leave out."

    def compared(self) -> pd.DataFrame | None:
        """The results without the excluded methods (by method code or quote code)."""
        if self.frame is None:
            return None
        if not self.excluded_methods:
            return self.frame
        excluded = set(self.excluded_methods)
        keep = ~(self.frame["method_code"].astype(object).isin(excluded)
                 | self.frame["quote_code"].astype(object).isin(excluded))
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
            missing = missing.assign(quote_code=None, name=None, method_name=None, cost=float("nan"),
                                     cost_with_tax=float("nan"), total=float("nan"))
            best = pd.concat([best, missing], ignore_index=True)
        out = best.merge(counts, on=keys, how="left")
        out["n_methods"] = out["n_methods"].fillna(0).astype("int64")
        out["customer_group"] = [self.group_name(g) for g in out["customer_group_id"]]
        out = out.sort_values(keys + ["quote_code"], na_position="last", kind="stable")
        return out[CHEAPEST_COLUMNS].reset_index(drop=True)

    def shown_table(self) -> pd.DataFrame:
        """:meth:`cheapest_table` as the panel shows it: names, not codes; blank errors dropped."""
        table = self.cheapest_table()[list(SHOWN_COLUMNS)]
        if table["error"].isna().all():
            table = table.drop(columns=["error"])
        return table

    def pivot_table(self) -> pd.DataFrame:
        """``metric`` per scenario (rows) and method (columns); NaN where a method is not offered."""
        frame = self.compared()
        if frame is None or frame.empty:
            return pd.DataFrame()
        return compare.pivot(frame, values=self.metric, index=_SCENARIO, columns="quote_code")

    def chart_carts(self) -> list[str]:
        """Carts the heatmap can show (one at a time)."""
        frame = self.compared()
        if frame is None or frame.empty:
            return []
        return [c for c in dict.fromkeys(frame["cart"].astype(str)) if c in self.selected_carts] or \
            list(dict.fromkeys(frame["cart"].astype(str)))

    def chart_title(self, chart: str = "heatmap") -> str:
        unit = self.money.unit
        if chart == "tax":
            return "Effective tax rate by destination and customer group (bars: products, ◆: shipping)"
        return (f"{METRICS[self.metric].split(' (')[0].capitalize()} ({unit}), cart {self.chart_cart!r}, "
                "by destination and shipping method")

    def figure(self, chart: str = "heatmap") -> Any:
        """A :class:`matplotlib.figure.Figure` of the results (None before a successful run)."""
        if chart not in CHARTS:
            raise ValueError(f"chart {chart!r}: one of {', '.join(CHARTS)}")
        frame = self.compared()
        if frame is None or frame.empty:
            return None
        named = frame.copy()
        if chart == "tax":
            tax = compare.effective_tax(frame)
            tax["customer group"] = [self.group_name(g) for g in tax["customer_group_id"]]
            fig = plots.tax_rate_chart(tax, hue="customer group", title=self.chart_title("tax"))
            _legend_outside(fig, "customer group (bars: products)")
            return fig
        cart = self.chart_cart if self.chart_cart in self.chart_carts() else next(iter(self.chart_carts()), None)
        self.chart_cart = cart
        named = named[(named["cart"].astype(str) == cart).to_numpy()]
        if len(self.selected_groups) > 1:
            # one row per destination and group: each cell is one scenario's price, never an average
            named["destination"] = [f"{d} · {self.group_name(g)}" for d, g in
                                    zip(named["destination"].astype(str), named["customer_group_id"])]
            named = named.drop(columns="customer_group_id")  # in the rows now: not a mean over groups
        named = named.drop(columns="cart")  # the title names the one cart shown
        # one cart, groups folded into the rows above: one panel, whatever the frame holds
        fig = plots.cost_heatmap(named, value=self.metric, columns="method_name", title=self.chart_title(), facet=())
        _money_labels(fig, self.money, f"{self.metric} ({self.money.unit})")
        return fig


class _Cancellable:
    """A store whose quote raises :class:`Cancelled` once ``cancel`` is set (a study then stops
    starting scenarios; those in flight finish and are cached)."""

    def __init__(self, store: Any, cancel: Any) -> None:
        self._store, self._cancel = store, cancel

    def quote(self, *args: Any, **kwargs: Any) -> Any:
        if self._cancel.is_set():
            raise Cancelled()
        return self._store.quote(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _money_labels(fig: Any, money: Money, label: str) -> None:
    """The heatmap's cell amounts and colour bar with the store's currency."""
    ax = fig.axes[0]
    for text in ax.texts:
        amount, _, note = text.get_text().replace(",", "").partition(" ")  # "226.00 tie"
        try:
            text.set_text(money(float(amount)) + (f" {note}" if note else ""))
        except ValueError:
            pass  # "n/a"
    if len(fig.axes) > 1:
        fig.axes[-1].set_ylabel(label)
    ax.set_xlabel("shipping method")
    ax.set_ylabel("")


def _legend_outside(fig: Any, title: str) -> None:
    """Move the legend beside the plot so it never covers a bar."""
    ax = fig.axes[0]
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    if handles:
        ax.legend(handles, labels, title=title, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0)


def _scenario_keys(df: pd.DataFrame) -> list[str]:
    """What identifies a scenario, also in several studies' frames concatenated."""
    return [c for c in ("study", "store", "scenario_id") if c in df.columns]


def _unique(df: pd.DataFrame, column: str) -> Sequence[Any]:
    if column not in df.columns:
        raise ValueError(f"a study frame needs a {column!r} column (see ocdata.study.Study.run)")
    return list(dict.fromkeys(df[column].dropna().tolist()))
