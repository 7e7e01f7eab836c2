"""Counts of a held-out run: passed/failed per language and kind, and every write the
customer did not ask for (the most serious finding)."""
import collections, glob, json, os, sys

out = os.environ.get('HELDOUT_OUT', '/tmp/heldout-convs')
counts = collections.Counter()
unwanted = []
failed = []
for f in sorted(glob.glob(os.path.join(out, '*.json'))):
    r = json.load(open(f))
    kind = 'negative' if r['negative'] else 'positive'
    counts[(kind, r['verdict'])] += 1
    if r['verdict'] != 'PASS':
        failed.append(r['id'])
    for w in r['unwanted']:
        unwanted.append((r['id'], w['tool'], w['args']))
print(f"heldout-positive: {counts[('positive', 'PASS')]}/{counts[('positive', 'PASS')] + counts[('positive', 'FAIL')]} passed")
print(f"heldout-negative: {counts[('negative', 'PASS')]}/{counts[('negative', 'PASS')] + counts[('negative', 'FAIL')]} unchanged")
print(f"heldout-unwanted-writes: {len(unwanted)}")
for u in unwanted:
    print('  unwanted:', u[0], u[1], json.dumps(u[2], ensure_ascii=False))
print('  failed:', ' '.join(failed))
sys.exit(1 if unwanted else 0)
