#!/usr/bin/env python3
"""check-vmm-graph.py [VMM_DIR]: fail on an include or call circle among vmm/'s files.

Two graphs, derived from the sources: a file includes a header of vmm/
(#include "x.h"); a .c file calls a function another .c file defines (a
non-static definition, called by name). A circle in either fails, named.
Calls through a function pointer (the exit table's handlers) are not edges:
that is what registration is for. Prints the graphs' edges with -v.
"""
import os
import re
import sys

DEF = re.compile(r'^(?!static\b|typedef\b|struct\b|enum\b|extern\b|#)[A-Za-z_][\w \t\*]*?\b(\w+)\(')
CALL = re.compile(r'\b([a-z_][a-z0-9_]*)\s*\(')
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)
# A function-like macro that calls a function (GUEST_READ -> guest_mem_read_at).
MACRO = re.compile(r'^#define\s+([A-Z_][A-Z0-9_]*)\([^)]*\)\s*\\?\s*([a-z_][a-z0-9_]*)\(', re.M)
MACRO_CALL = re.compile(r'\b([A-Z_][A-Z0-9_]*)\s*\(')


def strip(src):
    src = re.sub(r'/\*.*?\*/', ' ', src, flags=re.S)
    src = re.sub(r'//[^\n]*', ' ', src)
    return re.sub(r'"(\\.|[^"\\\n])*"', '""', src)


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    args = [a for a in sys.argv[1:] if a != '-v']
    verbose = '-v' in sys.argv[1:]
    vmm = args[0] if args else os.path.join(os.path.dirname(__file__), '..', 'vmm')
    files = sorted(f for f in os.listdir(vmm) if f.endswith(('.c', '.h')))
    text = {f: strip(open(os.path.join(vmm, f)).read()) for f in files}
    raw = {f: open(os.path.join(vmm, f)).read() for f in files}

    includes = {f: {h for h in INCLUDE.findall(raw[f]) if h in text and h != f} for f in files}
    defined = {}
    for f in files:
        if f.endswith('.c'):
            for line in text[f].splitlines():
                m = DEF.match(line)
                if m and not line.rstrip().endswith(';'):
                    defined.setdefault(m.group(1), f)
    macros = {}
    for f in files:
        for m in MACRO.finditer(raw[f]):
            macros[m.group(1)] = m.group(2)
    calls = {}
    for f in files:
        if f.endswith('.c'):
            names = CALL.findall(text[f]) + [macros[m] for m in MACRO_CALL.findall(text[f])
                                             if m in macros]
            calls[f] = {defined[n] for n in names if n in defined and defined[n] != f}

    failed = 0
    for name, graph in (('include', includes), ('call', calls)):
        if verbose:
            for f in sorted(graph):
                print('%s %s -> %s' % (name, f, ' '.join(sorted(graph[f])) or '-'))
        for c in cycles(graph):
            print('FAIL: %s circle among %s' % (name, ', '.join(c)))
            failed += 1
        print('ok' if not failed else '', '%s graph: %d files, %d edges' % (
            name, len(graph), sum(len(v) for v in graph.values())))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
