"""What a request is answered with: stateful answers from the simulation, stateless generated or adversarial
ones, fixtures, paging and SSE framing; imports the simulation and the contract, never HTTP.
"""
