#!/usr/bin/env bash
# Run KVM test binaries inside a QEMU TCG (software-emulated) VM that has
# nested SVM, so that /dev/kvm exists inside it (kvm_amd on a Debian kernel).
#
# usage: scripts/qemu-kvm/run.sh [options] CMD [CMD...]
#   CMD is a host binary path, optionally followed by arguments in the same
#   shell word:  run.sh build/test_a "build/test_b --iters 5" build/test_c
#   (arguments are split on whitespace; no further quoting is understood).
#   Binaries should be static; dynamic ones get their ldd libraries copied.
#
# options:
#   -m MEM        guest RAM (default 2G)
#   -s N          guest vCPUs (default 1; 2 = multi-threaded TCG, see README)
#   -t SECS       timeout per binary inside the guest (default 300)
#   -T SECS       timeout for the whole QEMU run (default: sum of -t + 120)
#   -a PATH       add an extra file/dir to the guest work dir /t (repeatable)
#   -e VAR=VAL    set an environment variable for the binaries (repeatable)
#   -c CPU        QEMU -cpu model (default "max"; e.g. "EPYC,+svm,+npt")
#   -p PARAMS     kvm-amd module parameters, e.g. "npt=0" (shadow paging)
#   -q PARAMS     kvm module parameters, e.g. "nx_huge_pages=never"
#   -g            mount cgroup2 with favordynmods (no RCU grace period when a
#                 kernel thread joins its parent's cgroups, as KVM's do per VM)
#   -k            keep the work directory (printed at the end)
#   -v            show the full serial console (firmware + kernel boot)
#   --self-test   build and run scripts/qemu-kvm/kvm-smoke.c (plus any CMDs)
#   --refresh     re-resolve the newest Debian kernel package and rebuild cache
#   -h            this help
#
# environment: KVMLET_QEMU_CACHE (default /tmp/kvmlet-qemu-cache)
#
# exit status: 0 all passed (or skipped with 77), 1 a binary failed or the VM
# did not finish, 2 usage/setup error.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${KVMLET_QEMU_CACHE:-/tmp/kvmlet-qemu-cache}
MEM=2G SMP=1 TEST_TIMEOUT=300 TOTAL_TIMEOUT= CPU=max KEEP=0 VERBOSE=0 SELFTEST=0 REFRESH=0
MODPARAMS= KVMPARAMS= CGFAVOR=0 ADDS=() ENVS=() CMDS=()

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "qemu-kvm: $*" >&2; exit 2; }
log() { echo "qemu-kvm: $*" >&2; }

while [ $# -gt 0 ]; do
	case $1 in
	-m) MEM=$2; shift 2 ;;
	-s) SMP=$2; shift 2 ;;
	-t) TEST_TIMEOUT=$2; shift 2 ;;
	-T) TOTAL_TIMEOUT=$2; shift 2 ;;
	-a) ADDS+=("$2"); shift 2 ;;
	-e) ENVS+=("$2"); shift 2 ;;
	-c) CPU=$2; shift 2 ;;
	-p) MODPARAMS=$2; shift 2 ;;
	-q) KVMPARAMS=$2; shift 2 ;;
	-g) CGFAVOR=1; shift ;;
	-k) KEEP=1; shift ;;
	-v) VERBOSE=1; shift ;;
	--self-test) SELFTEST=1; shift ;;
	--refresh) REFRESH=1; shift ;;
	-h|--help) usage 0 ;;
	--) shift; CMDS+=("$@"); break ;;
	-*) die "unknown option $1 (see -h)" ;;
	*) CMDS+=("$1"); shift ;;
	esac
done
[ ${#CMDS[@]} -gt 0 ] || [ "$SELFTEST" = 1 ] || usage 2

# ---------------------------------------------------------------- host tools
need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then need_pkgs+=(busybox-static); fi
command -v cpio >/dev/null || need_pkgs+=(cpio)
command -v gzip >/dev/null || need_pkgs+=(gzip)
if [ "$SELFTEST" = 1 ]; then command -v gcc >/dev/null || need_pkgs+=(gcc libc6-dev linux-libc-dev); fi
apt_updated=0
apt_update() { [ $apt_updated = 1 ] || { log "apt-get update"; apt-get update -qq >/dev/null; apt_updated=1; }; }
if [ ${#need_pkgs[@]} -gt 0 ]; then
	apt_update
	log "installing ${need_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
BUSYBOX=/bin/busybox
ldd $BUSYBOX >/dev/null 2>&1 && die "$BUSYBOX is not static (need busybox-static)"

# ---------------------------------------------------------------- kernel + base initramfs (cached)
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

build_base() {
	local pkg ver dir tmp
	apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt_update
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then apt_update; pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1); fi
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package"
	ver=${pkg#linux-image-}
	dir=$CACHE/$ver
	if [ ! -f "$dir/initrd-base.cpio.gz" ]; then
		log "building cached kernel/initramfs for $pkg in $dir"
		tmp=$(mktemp -d "$CACHE/tmp.XXXXXX")
		(cd "$tmp" && apt-get download -qq "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
		ls "$tmp"/"$pkg"_*.deb >/dev/null 2>&1 || die "apt-get download $pkg failed"
		dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root"
		local mods=$tmp/root/lib/modules/$ver ir=$tmp/ir
		mkdir -p "$ir"/{bin,sbin,dev,proc,sys,tmp,t,mods,etc}
		cp $BUSYBOX "$ir/bin/busybox"
		# kvm-amd and its module dependencies, in load order
		local order=() seen=" "
		add_mod() {
			local name=$1 f d
			case $seen in *" $name "*) return ;; esac
			seen="$seen$name "
			f=$(find "$mods/kernel" -name "$name.ko" -o -name "${name//_/-}.ko" -o -name "${name//-/_}.ko" | head -n1)
			[ -n "$f" ] || die "module $name not found in $pkg"
			for d in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do add_mod "$d"; done
			cp "$f" "$ir/mods/"
			order+=("$(basename "$f")")
		}
		add_mod kvm-amd
		printf '%s\n' "${order[@]}" >"$ir/mods/order"
		(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0 | gzip -1) >"$tmp/initrd-base.cpio.gz"
		mkdir -p "$dir"
		cp "$tmp/root/boot/vmlinuz-$ver" "$dir/vmlinuz"
		mv "$tmp/initrd-base.cpio.gz" "$dir/initrd-base.cpio.gz"
		echo "$pkg $(dpkg-deb -f "$tmp"/"$pkg"_*.deb Version)" >"$dir/package"
		rm -rf "$tmp"
	fi
	ln -sfn "$ver" "$CACHE/current"
}
if [ "$REFRESH" = 1 ] || [ ! -f "$CACHE/current/initrd-base.cpio.gz" ]; then build_base; fi
KDIR=$(readlink -f "$CACHE/current")
flock -u 9

# ---------------------------------------------------------------- per-run payload
WORK=$(mktemp -d /tmp/kvmlet-qemu-run.XXXXXX)
cleanup() { if [ "$KEEP" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
P=$WORK/payload
mkdir -p "$P/t"
install -m 755 "$HERE/guest-init.sh" "$P/init"

if [ "$SELFTEST" = 1 ]; then
	gcc -O2 -Wall -static -pthread -o "$WORK/kvm-smoke" "$HERE/kvm-smoke.c" || die "building kvm-smoke failed"
	CMDS=("$WORK/kvm-smoke" "${CMDS[@]}")
fi

copy_libs() { # copy the shared libraries of a dynamic binary to the same paths
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$P$lib" ] && continue
		mkdir -p "$P$(dirname "$lib")"
		cp -L "$lib" "$P$lib"
	done
}

: >"$P/t/.cmds"
i=0
for cmd in "${CMDS[@]}"; do
	read -r -a words <<<"$cmd"
	bin=${words[0]}
	[ -f "$bin" ] && [ -x "$bin" ] || die "not an executable file: $bin"
	i=$((i + 1))
	dest=$(basename "$bin")
	[ -e "$P/t/$dest" ] && dest="$i-$dest"
	cp -L "$bin" "$P/t/$dest"
	if ldd "$bin" >/dev/null 2>&1; then
		log "warning: $bin is dynamically linked; copying its libraries"
		copy_libs "$bin"
	fi
	line=$(printf '%q ' "./$dest" "${words[@]:1}")
	# name<TAB>command line (bash %q output is understood by busybox ash)
	printf '%s\t%s\n' "$(basename "$bin")${words[1]+ ${words[*]:1}}" "$line" >>"$P/t/.cmds"
done
for a in "${ADDS[@]+"${ADDS[@]}"}"; do cp -a "$a" "$P/t/"; done
: >"$P/t/.env"
for e in "${ENVS[@]+"${ENVS[@]}"}"; do printf 'export %q\n' "$e" >>"$P/t/.env"; done
echo "$TEST_TIMEOUT" >"$P/t/.timeout"
echo "$MODPARAMS" >"$P/t/.kvm-amd-params"
echo "$KVMPARAMS" >"$P/t/.kvm-params"
[ "$CGFAVOR" = 1 ] && : >"$P/t/.cgroup-favordynmods"

(cd "$P" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --owner=0:0) >"$WORK/payload.cpio"
# concatenated initramfs: cached compressed base + uncompressed payload
# (the payload must start 4-byte aligned after the gzip stream: pad with zeros)
cp "$KDIR/initrd-base.cpio.gz" "$WORK/initrd"
truncate -s $(( ($(stat -c %s "$WORK/initrd") + 511) / 512 * 512 )) "$WORK/initrd"
cat "$WORK/payload.cpio" >>"$WORK/initrd"

# ---------------------------------------------------------------- boot
[ -n "$TOTAL_TIMEOUT" ] || TOTAL_TIMEOUT=$((TEST_TIMEOUT * ${#CMDS[@]} + 120))
RESULTS=$WORK/results
: >"$RESULTS"
log "booting $(cat "$KDIR/package") under TCG (-cpu $CPU -smp $SMP -m $MEM), ${#CMDS[@]} binar$( [ ${#CMDS[@]} = 1 ] && echo y || echo ies)"
t0=$(date +%s.%N)
set +e
# ttyS0 = console (test output, streamed), ttyS1 = machine-readable results
timeout --foreground -k 10 "$TOTAL_TIMEOUT" qemu-system-x86_64 \
	-accel tcg,thread=multi -cpu "$CPU" -smp "$SMP" -m "$MEM" \
	-nodefaults -no-user-config -display none -no-reboot -nic none \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	-serial "file:$RESULTS" \
	-kernel "$KDIR/vmlinuz" -initrd "$WORK/initrd" \
	-append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic softlockup_panic=1 watchdog_thresh=30 mitigations=off tsc=reliable" \
	</dev/null | if [ "$VERBOSE" = 1 ]; then sed -u 's/\r$//'; else
		# drop firmware/boot noise before the guest init starts
		sed -u -n -e 's/\r$//' -e '/^@@kvmlet-qemu: init$/,$ { /^@@kvmlet-qemu: init$/d; /\] reboot: Power down$/d; p }'
	fi | tee "$WORK/console"
qrc=${PIPESTATUS[0]}
set -e
t1=$(date +%s.%N)
[ "$qrc" = 124 ] && log "QEMU timed out after ${TOTAL_TIMEOUT}s"

# ---------------------------------------------------------------- report
tr -d '\r' <"$RESULTS" >"$RESULTS.txt"
pass=0 fail=0 skip=0
echo "==== qemu-kvm results ($(cat "$KDIR/package"), -cpu $CPU; total $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")s) ===="
if ! grep -q '^SETUP ok' "$RESULTS.txt"; then
	echo "SETUP FAILED: /dev/kvm not available in the guest"
	grep '^SETUP' "$RESULTS.txt" || true
	exit 1
fi
while IFS=$'\t' read -r tag name rc secs; do
	[ "$tag" = RESULT ] || continue
	case $rc in
	0) st=PASS; pass=$((pass + 1)) ;;
	77) st=SKIP; skip=$((skip + 1)) ;;
	143|124) st="FAIL (timeout, rc=$rc)"; fail=$((fail + 1)) ;;
	*) st="FAIL (rc=$rc)"; fail=$((fail + 1)) ;;
	esac
	extra=; case $st in FAIL*) extra=${st#FAIL} ;; esac
	printf '%-5s %7ss  %s%s\n' "${st%% *}" "$secs" "$name" "${extra:+ $extra}"
done <"$RESULTS.txt"
ran=$((pass + fail + skip))
if [ "$ran" -lt "${#CMDS[@]}" ]; then
	echo "VM ended after $ran of ${#CMDS[@]} binaries (guest crash, panic or timeout; qemu rc=$qrc)"
	fail=$((fail + ${#CMDS[@]} - ran))
fi
# What each failed (or unfinished) binary said about its failure (each line
# that looks like one, and the few after it), again under the summary: a log
# cut to its end still shows why.
if [ "$fail" != 0 ]; then
	awk '/^==== run: /{n = 0; ctx = 0; name = $3; next}
	     /^==== exit [0-9]+: /{if ($3 != "0:" && n) {print "---- why " name " failed:"; for (i = 1; i <= n; i++) print "    " l[i]} n = 0; name = ""; next}
	     !/^ok: / && /FAIL|Failure|[Ee]rror|failed|Assertion|timed out/ {ctx = 16}
	     ctx > 0 {ctx--; if (n < 60) l[++n] = $0}
	     END {if (name != "" && n) {print "---- what " name " said before it ended:"; for (i = 1; i <= n; i++) print "    " l[i]}}' \
		"$WORK/console"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
