"""Province-scale CO2 benefit of ancillary services carried by aluminium and cement (seed 002 §4).

Seed 002 (Zhang et al., J. Mod. Power Syst. Clean Energy 2015) compares two scenarios for one
province and the years 2012-2020: S1, every ancillary service (AS) is held by thermal units running
part-loaded; S2, energy-intensive industry is admitted to the AS market, scaled by a transforming
factor tau (share of the industry retrofitted) and a penetration factor lambda (acceptance by the
AS market). Its Tables 3-7 are missing from the text, so this module rebuilds the method from
sourced figures (``data/ancillary_benefit.toml``, every value with its source) and computes,
vectorised over years x tau x lambda x providers:

1. **Requirement** per product k from the peak load ``P_pk = E_load / (8760 h * load_factor)``::

       R_reg  = s_reg * P_pk
       R_cont = max(s_cont * P_pk, P_largest_unit)
       R_spin = f_spin * R_cont,   R_ns = (1 - f_spin) * R_cont

2. **Flexible capacity** of provider p (average MW over the year)::

       F_p = flexible_share_p * availability_share_p * E_p / 8760 h,
       E_p(y) = E_p(base) * (1 + g_p) ** (y - base_year)

   Provider p may carry product k only if it offers it and qualifies (seed 002 eq. 1):
   response <= t1, duration >= t2 - t1, notice <= t3.

3. **Carried capacity**, products assigned in file order (regulation, spinning, non-spinning);
   retrofitted capacity ``tau * F_p`` is offered, the market admits at most ``lambda * R_k``::

       C_pk = O_pk * min(1, lambda * R_k / sum_p O_pk),   O_pk = q_pk * (tau * F_p - sum_{j<k} C_pj)

   so ``sum_p C_pk <= lambda * R_k <= R_k`` and ``sum_k C_pk <= tau * F_p <= F_p``.

4. **Displaced thermal reserve** ``D_k = h_k * sum_p C_pk`` (h_k: share of product k held on
   part-loaded thermal units) and the **CO2 saved**::

       CO2 = sum_k D_k * 8760 h * e_res - sum_p pi_p * (sum_k C_pk / flexible_share_p) * 8760 h * ci

   with the part-load penalty per MW of reserve held for one hour (t CO2 / MWh of reserve)::

       e_res = sum_f s_f * x_r/(1 - x_r) * (1/eta_rel,f(x_r) - 1/eta_rel,f(x_0)) * ef_f/eta_f

   Holding R MW of headroom at loading x_r commits ``R / (1 - x_r)`` MW of units, which produce
   ``R x_r / (1 - x_r)`` MW at the part-load efficiency ``eta_f * eta_rel,f(x_r)`` instead of
   ``eta_f * eta_rel,f(x_0)`` (S2: "thermal generators keep running smoothly"); ``eta_rel`` is a
   sourced part-load curve, interpolated linearly; ``ef_f`` is t CO2 per MWh of fuel heat. The
   second term charges extra smelter electricity (share ``pi_p`` of the participating load,
   valued at the grid intensity ``ci``); it is zero by default (regulation is energy-neutral over
   the day, seed 002 eq. 3; cement mills make up the shed energy, eq. 2).

Not modelled (each would raise the benefit): extra fuel of ramping units that follow AGC, start-up
fuel, and renewable curtailment avoided (seed 002 §2.3 item 2).

The code is split by stage: :mod:`.ancillary_params` (schema, validation, :func:`load_params`),
:mod:`.ancillary_compute` (:func:`compute`) and :mod:`.ancillary_output` (figure and files); this
module re-exports their public names.
"""

from __future__ import annotations

from fdn_alu.studies.ancillary.compute import AncillaryResult, compute, reserve_penalty_t_per_mwh
from fdn_alu.studies.ancillary.output import plot, write_result
from fdn_alu.studies.ancillary.params import (
    DEFAULT_TOML,
    H_PER_YR,
    PRODUCTS,
    AncillaryParams,
    load_params,
)

__all__ = [
    "DEFAULT_TOML",
    "H_PER_YR",
    "PRODUCTS",
    "AncillaryParams",
    "AncillaryResult",
    "compute",
    "load_params",
    "plot",
    "reserve_penalty_t_per_mwh",
    "write_result",
]
