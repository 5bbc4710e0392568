"""Developer tools around the hardware sources: ``rtl`` finds the RTL tree, its file lists and
Verilator; ``synth`` runs Yosys (`make synth`)."""
