"""The production stack on one machine: PostgreSQL, the code server, the daemon, the two
webservers and nginx in front of the auditors' one (`lagesbild serve`, and the tests)."""
