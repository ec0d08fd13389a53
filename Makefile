# SPDX-License-Identifier: GPL-2.0
# Entry points of the netmem-6.1 harness; see README.md.
# DRY_RUN=1 prints the commands without running them.

PY := python3 harness.py

.PHONY: tree save save-check kunit vm-test check demo selftest sizes cocci \
	cocci-apply bench clean help

help:
	@sed -n '3,16p' harness.py

tree save save-check kunit vm-test check demo selftest sizes cocci cocci-apply bench:
	@$(PY) $@

clean:
	rm -rf build/out build/results
