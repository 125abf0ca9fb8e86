import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haproxyConfig, parseStat } from './balancer.ts';

test('the balancer checks /health/ready and never retries, so a refused or cut request reaches the client', () => {
  const cfg = haproxyConfig(8081, '/tmp/s.sock', [
    { ip: '172.29.1.10', port: 8080 },
    { ip: '172.29.1.11', port: 8080 },
  ]);
  assert.match(cfg, /^ {2}option httpchk GET \/health\/ready$/m);
  assert.match(cfg, /^ {2}retries 0$/m);
  assert.doesNotMatch(cfg, /redispatch|retry-on/);
  assert.match(cfg, /^ {2}server node2 172\.29\.1\.11:8080 check$/m);
  assert.match(cfg, /^ {2}bind 127\.0\.0\.1:8081$/m);
});

test('show stat: the backend servers with their state, how often they were taken out, and their requests', () => {
  const csv = [
    '# pxname,svname,qcur,stot,status,chkdown',
    'clients,FRONTEND,0,90,OPEN,',
    'nodes,node1,0,40,UP,1',
    'nodes,node2,0,50,DOWN,2',
    'nodes,BACKEND,0,90,UP,0',
  ].join('\n');
  assert.deepEqual(parseStat(csv), [
    { name: 'node1', status: 'UP', downs: 1, sessions: 40 },
    { name: 'node2', status: 'DOWN', downs: 2, sessions: 50 },
  ]);
});
