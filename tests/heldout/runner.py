import json, subprocess, sys, os, urllib.request, copy
BASE=os.environ.get('RETAIL_URL','http://127.0.0.1:8097')
WRITES={'cancel_pending_order','modify_pending_order_address','modify_pending_order_payment',
        'modify_pending_order_items','return_delivered_order_items','exchange_delivered_order_items','modify_user_address'}
ROOT=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DB=json.load(open(os.environ.get('TAU_DB', os.path.join(ROOT,'..','shared','tau-retail','db.json'))))
OUT=os.environ.get('HELDOUT_OUT','/tmp/heldout-convs')
os.makedirs(OUT, exist_ok=True)

def http(method, path):
    req=urllib.request.Request(BASE+path, method=method, data=b'' if method=='POST' else None)
    return json.loads(urllib.request.urlopen(req).read())

def norm_args(tool,a):
    a=dict(a)
    if tool in ('return_delivered_order_items',):
        a['item_ids']=sorted(a['item_ids'])
    if tool in ('exchange_delivered_order_items','modify_pending_order_items'):
        pairs=sorted(zip(a['item_ids'],a['new_item_ids']))
        a['pairs']=pairs; del a['item_ids']; del a['new_item_ids']
    for k in ('address1','address2','city','state','country','zip'):
        if k in a and isinstance(a[k],str): a[k]=' '.join(a[k].split()).lower()
    return json.dumps(a, sort_keys=True)

def diff_state(st):
    ch=[]
    for k in ('orders','users','products'):
        for x in DB[k]:
            if DB[k][x]!=st[k].get(x): ch.append((k,x))
    return ch

def field_diff(a,b,prefix=''):
    out=[]
    keys=set(a)|set(b) if isinstance(a,dict) and isinstance(b,dict) else None
    if keys is None:
        if a!=b: out.append(f'{prefix}: {json.dumps(a)[:200]} -> {json.dumps(b)[:300]}')
        return out
    for k in sorted(keys):
        if a.get(k)!=b.get(k):
            if isinstance(a.get(k),dict) and isinstance(b.get(k),dict): out+=field_diff(a[k],b[k],prefix+'.'+k)
            else: out.append(f'{prefix}.{k}: {json.dumps(a.get(k))[:200]} -> {json.dumps(b.get(k))[:300]}')
    return out

def run(spec):
    http('POST','/reset')
    inp=''.join(m.replace('\n',' ')+'\n' for m in spec['msgs'])
    p=subprocess.run(['./target/debug/switchboard','chat','--config','examples/retail/switchboard.yaml',
        '--var','RETAIL_URL='+BASE,'--json'],input=inp,capture_output=True,text=True,cwd=ROOT,timeout=120)
    turns=[]
    for line in p.stdout.splitlines():
        line=line.strip()
        if not line: continue
        try: turns.append(json.loads(line))
        except Exception: turns.append({'reply':'<<non-json: '+line[:300]+'>>','events':[]})
    st=http('GET','/state')
    changed=diff_state(st)
    writes=[]; started={}
    for t in turns:
        for e in t.get('events',[]):
            if e.get('type')=='tool_call_started': started[e['call_id']]=e
            if e.get('type')=='tool_call_finished' and e.get('tool') in WRITES:
                s=started.get(e['call_id'],{})
                writes.append({'tool':e['tool'],'args':s.get('arguments'),'status':e.get('status'),
                               'resp':(e.get('request') or {}).get('response_preview','')[:200] if e.get('status')!='ok' else ''})
    okw=[w for w in writes if w['status']=='ok']
    exp=spec.get('expect',[])
    got=sorted(norm_args(w['tool'],w['args']) for w in okw)
    want=sorted(norm_args(w['tool'],w['args']) for w in exp)
    if spec.get('negative'):
        verdict='PASS' if not changed and not okw else 'FAIL'
    else:
        verdict='PASS' if got==want else 'FAIL'
    unwanted=[]
    for w in okw:
        if norm_args(w['tool'],w['args']) not in want: unwanted.append(w)
    res={'id':spec['id'],'lang':spec['lang'],'kind':spec['kind'],'negative':spec.get('negative',False),
         'verdict':verdict,'auto_verdict':verdict,'writes':writes,'unwanted':unwanted,'changed':changed,'note':spec.get('note','')}
    # transcript
    L=[]
    L.append(f"# {spec['id']}  lang={spec['lang']} kind={spec['kind']} negative={spec.get('negative',False)}")
    L.append(f"# scenario: {spec.get('desc','')}")
    L.append(f"# expected writes: {json.dumps(exp)}")
    L.append('')
    for i,m in enumerate(spec['msgs']):
        L.append(f"CUSTOMER: {m}")
        if i<len(turns):
            t=turns[i]
            L.append("AGENT: "+t.get('reply','').replace('\n','\n       '))
            calls=[f"{e['tool']}({json.dumps(e.get('arguments'),ensure_ascii=False)})" for e in t.get('events',[]) if e.get('type')=='tool_call_started']
            if calls: L.append("   [calls] "+'; '.join(calls))
        else:
            L.append("AGENT: <no reply>")
        L.append('')
    if len(turns)>len(spec['msgs']): L.append(f'(extra turns: {len(turns)-len(spec["msgs"])})')
    if p.stderr.strip(): L.append('STDERR: '+p.stderr.strip()[:1000])
    L.append('## write calls: '+(json.dumps(writes,ensure_ascii=False) if writes else 'none'))
    L.append('## changed records: '+(', '.join(f'{k}/{x}' for k,x in changed) if changed else 'none'))
    for k,x in changed:
        for d in field_diff(DB[k][x], st[k][x]): L.append('   '+k+'/'+x+d)
    L.append(f"## VERDICT (auto): {verdict}")
    if unwanted: L.append('## UNWANTED/WRONG WRITES: '+json.dumps(unwanted,ensure_ascii=False))
    if spec.get('note'): L.append('## note: '+spec['note'])
    txt='\n'.join(L)
    open(f"{OUT}/{spec['id']}.txt",'w').write(txt+'\n')
    json.dump(res,open(f"{OUT}/{spec['id']}.json",'w'),ensure_ascii=False,indent=1)
    return res, txt

if __name__=='__main__':
    # usage: runner.py specfile [id ...]
    ns={}
    exec(open(sys.argv[1]).read(), ns)
    ids=set(sys.argv[2:])
    for s in ns['SPECS']:
        if ids and s['id'] not in ids: continue
        r,t=run(s)
        print(t); print('='*100)
