"""The simulated world: the clock, lifecycles, records, scenarios, the schedule and the one Simulation with
its snapshots; imports only the contract and the standard library, never HTTP.
"""
