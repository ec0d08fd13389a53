# SPDX-License-Identifier: GPL-2.0
# Entry points of the netmem-6.1 harness; see README.md.
# DRY_RUN=1 prints the commands without running them.

PY := python3 -m harness

.PHONY: tree save save-check kunit vm-test check demo selftest sizes cocci \
	cocci-apply bench audit-doc clean help

help:
	@sed -n '5,19p' harness/__main__.py

tree save save-check kunit vm-test check demo selftest sizes cocci cocci-apply bench \
audit-doc:
	@$(PY) $@

clean:
	rm -rf build/out build/results
