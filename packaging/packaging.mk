# Packaging: data files, .deb and .rpm (included by the top-level Makefile).
#   make install-data   hooks.d entries, default node config, systemd units,
#                       tmpfiles.d entry, man pages (into $(DESTDIR))
#   make deb / rpm      packages in dist/, built out of tree from a copy of
#                       the working tree

HOOKSDIR    ?= $(PREFIX)/share/containers/oci/hooks.d
UNITDIR     ?= $(PREFIX)/lib/systemd/system
PRESETDIR   ?= $(PREFIX)/lib/systemd/system-preset
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MANDIR      ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
FIREWALLDDIR ?= $(PREFIX)/lib/firewalld/zones
DIST        ?= dist

PKG_HOOKS   := $(wildcard packaging/hooks/*.json)
PKG_MAN     := packaging/man/netward.8 packaging/man/netward.json.5 packaging/man/netward-runc.8

.PHONY: install-data uninstall-data man-check

# Paths inside the installed files follow LIBEXEC, SYSCONF and PREFIX. An
# existing node config is never overwritten.
install-data:
	install -d $(DESTDIR)$(HOOKSDIR)
	for f in $(PKG_HOOKS); do \
		sed -e 's|/usr/libexec/oci/hooks.d/netward|$(LIBEXEC)/netward|' \
		    -e 's|/etc/netward/|$(SYSCONF)/netward/|' $$f \
			> $(DESTDIR)$(HOOKSDIR)/$${f##*/} && \
		chmod 0644 $(DESTDIR)$(HOOKSDIR)/$${f##*/} || exit 1; \
	done
	install -d $(DESTDIR)$(SYSCONF)/netward
	[ -e $(DESTDIR)$(SYSCONF)/netward/netward.json ] || \
		install -m 0644 packaging/netward.json $(DESTDIR)$(SYSCONF)/netward/netward.json
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PRESETDIR) $(DESTDIR)$(TMPFILESDIR)
	sed -e 's|/usr/bin/netward|$(PREFIX)/bin/netward|' packaging/systemd/netward-gc.service \
		> $(DESTDIR)$(UNITDIR)/netward-gc.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/netward-gc.service
	install -m 0644 packaging/systemd/netward-gc.timer $(DESTDIR)$(UNITDIR)/netward-gc.timer
	install -m 0644 packaging/netward-gc.preset $(DESTDIR)$(PRESETDIR)/90-netward.preset
	install -m 0644 packaging/netward.tmpfiles $(DESTDIR)$(TMPFILESDIR)/netward.conf
	install -D -m 0644 packaging/man/netward.8 $(DESTDIR)$(MANDIR)/man8/netward.8
	install -D -m 0644 packaging/man/netward-runc.8 $(DESTDIR)$(MANDIR)/man8/netward-runc.8
	install -D -m 0644 packaging/man/netward.json.5 $(DESTDIR)$(MANDIR)/man5/netward.json.5
	install -D -m 0644 packaging/completion/netward.bash $(DESTDIR)$(COMPLETIONDIR)/netward
	install -D -m 0644 packaging/firewalld/netward.xml $(DESTDIR)$(FIREWALLDDIR)/netward.xml

# Leaves the node config in place, as a package removal does.
uninstall-data:
	rm -f $(PKG_HOOKS:packaging/hooks/%=$(DESTDIR)$(HOOKSDIR)/%)
	rm -f $(DESTDIR)$(UNITDIR)/netward-gc.service $(DESTDIR)$(UNITDIR)/netward-gc.timer
	rm -f $(DESTDIR)$(PRESETDIR)/90-netward.preset $(DESTDIR)$(TMPFILESDIR)/netward.conf
	rm -f $(DESTDIR)$(MANDIR)/man8/netward.8 $(DESTDIR)$(MANDIR)/man5/netward.json.5
	rm -f $(DESTDIR)$(COMPLETIONDIR)/netward
	rm -f $(DESTDIR)$(FIREWALLDDIR)/netward.xml
	rm -f $(DESTDIR)$(MANDIR)/man8/netward-runc.8

# The man pages must render without a single groff warning.
man-check:
	@for m in $(PKG_MAN); do \
		out=$$(LC_ALL=C.UTF-8 MANROFFSEQ='' groff -man -Tutf8 -ww -z $$m 2>&1); \
		if [ -n "$$out" ]; then echo "$$m:"; echo "$$out"; exit 1; fi; \
	done; echo "man pages: no warnings"

deb:
	packaging/build-deb $(DIST)

rpm:
	packaging/build-rpm $(DIST)
