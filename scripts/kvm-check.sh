#!/bin/sh
# scripts/kvm-check.sh: is this machine's /dev/kvm one that kvmlet's KVM tests
# can trust? Exit 0 if so; otherwise print why (one line) and exit 1.
# Trusted: /dev/kvm opens read-write and is served by a hardware vendor module
# (kvm_intel, kvm_amd). kvm_pvm (a paravirtual KVM found on some cloud VMs)
# is not: there `syscall` does not enter ring 0 and software interrupts and
# IDT faults differ from x86, so the tests run under nested KVM in QEMU instead.
if ! [ -e /dev/kvm ]; then
	echo "/dev/kvm not found"
	exit 1
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "/dev/kvm is not readable and writable by $(id -un)"
	exit 1
fi
if [ -d /sys/module/kvm_pvm ] && ! [ -d /sys/module/kvm_intel ] && ! [ -d /sys/module/kvm_amd ]; then
	echo "/dev/kvm is kvm_pvm, a paravirtual KVM that does not run x86 faithfully (syscall, gates)"
	exit 1
fi
exit 0
