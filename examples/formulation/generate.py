#!/usr/bin/env python3
"""Writes the example formulation data (experiments.csv, new-inputs.csv).

A made-up but plausible screen: a resin cured at a temperature with a catalyst
loading, mixed at a speed, in one of three solvents; measured viscosity and yield.
Fixed seed and the standard library only, so the files are the same every time.
Run from this directory: ./generate.py
"""
import math
import random

SOLVENTS = {"water": 0.0, "ethanol": 0.6, "toluene": 1.1}


def truth(temp, cat, rpm, solvent):
    s = SOLVENTS[solvent]
    viscosity = (12.0 * math.exp(-(temp - 60) / 45) * (1 + 0.35 * s)
                 + 2.5 * cat ** 1.5 - 0.002 * rpm)
    yield_pct = (55 + 18 * math.tanh((temp - 85) / 15) + 6 * cat - 1.2 * cat ** 2
                 + 4 * s - 0.00002 * (rpm - 500) ** 2)
    return viscosity, yield_pct


def main():
    rng = random.Random(20261123)
    with open("experiments.csv", "w", newline="") as f:
        f.write("run,temperature_c,catalyst_pct,mixing_rpm,solvent,viscosity_pas,yield_pct\n")
        for i in range(1, 401):
            temp = round(rng.uniform(60, 120), 1)
            cat = round(rng.uniform(0.5, 3.0), 2)
            rpm = rng.randrange(200, 801, 10)
            solvent = rng.choice(sorted(SOLVENTS))
            v, y = truth(temp, cat, rpm, solvent)
            f.write(f"R{i:04d},{temp},{cat},{rpm},{solvent},"
                    f"{round(v + rng.gauss(0, 0.15), 3)},{round(y + rng.gauss(0, 0.8), 2)}\n")
    with open("new-inputs.csv", "w", newline="") as f:
        # Columns in another order than the training file; the last row is outside the
        # tested temperatures, so its prediction is flagged and its spread is larger.
        f.write("solvent,temperature_c,catalyst_pct,mixing_rpm\n")
        f.write("ethanol,85,1.5,500\n")
        f.write("water,110,2.5,300\n")
        f.write("toluene,70,0.8,650\n")
        f.write("ethanol,160,1.5,500\n")


if __name__ == "__main__":
    main()
