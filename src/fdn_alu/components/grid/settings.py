"""Settings of the main grid supply at the root bus (``[grid]``)."""

from __future__ import annotations

from fdn_alu.core.schema import NUM, REQUIRED, Field, non_negative, one_of

SCHEMA: dict[str, Field] = {
    "allow_export": Field(bool, False, "", "whether power may flow back into the upstream grid"),
    "p_max_mw": Field(
        NUM, 0.0, "MW", "import limit at the root (0: none)", "our choice: no limit", non_negative
    ),
    "price_profile": Field(str, "price_per_mwh", "", "profile column of the purchase price"),
    "ci_profile": Field(
        str, "grid_ci_kg_per_mwh", "", "profile column of the grid's carbon intensity"
    ),
    "loss_price_per_mwh": Field(
        NUM,
        REQUIRED,
        "currency/MWh",
        "price of network losses, eq. (15)",
        "built-in cases: 500, our choice (the paper's value is missing), about the day-mean price",
        non_negative,
    ),
    "carbon_price_per_t": Field(
        NUM,
        REQUIRED,
        "currency/t",
        "carbon price alpha_C of eq. (16)",
        "built-in cases: 80, China ETS 2021-2025 averages 53-89 CNY/t",
        non_negative,
    ),
    "carbon_accounting": Field(
        str,
        "direct",
        "",
        "what the carbon cost (16) prices: direct (grid import and gas turbine, the paper) or "
        "consumption (the carbon the flow carries to the charged consumers' buses, "
        "ci_bus(t) x P(t), solved as a sequence of convex problems)",
        "direct: the paper's eq. (16); consumption: our extension (docs/CARBON.md)",
        one_of("direct", "consumption"),
    ),
    "carbon_charged": Field(
        str,
        "park",
        "",
        "who pays under consumption accounting: park (its PCC draw at its bus intensity plus "
        "its own generation), flex_load (the controllable loads) or all (every load and "
        "device that draws from the network)",
        "our choice: the park is the consumer the paper's low-carbon dispatch is about",
        one_of("park", "flex_load", "all"),
    ),
}
