"""The monthly regional lägesbild: HTML pages per region and for the nation, after publication."""
