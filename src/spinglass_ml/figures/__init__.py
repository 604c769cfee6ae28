"""Figures and tables: functions of stored arrays, never of paths or of anything still to compute.

=====================  ======================================================================================
:mod:`.style`          one style (Okabe-Ito palette, markers by L, 8 pt text); ``figure``, ``save``
:mod:`.mc`             fig_equilibration
:mod:`.scaling`        fig1 (p, max |dp/dT|, linear coefficient, collapse), fig2, fig3
:mod:`.comparison`     fig_physics_reference, fig_dose_response
:mod:`.robustness`     fig_adversarial, fig_activations, fig_tradeoff, fig_uncertainty
:mod:`.tables`         table1-table3 as CSV and LaTeX
=====================  ======================================================================================
"""
