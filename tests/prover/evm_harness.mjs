// Compile a Solidity contract with solc (npm `solc`) and call it on a real EVM
// (@ethereumjs/vm, whose EIP-196/197 precompiles use @noble/curves' BN254).
//
// stdin:  {"source": "...", "contract": "Name", "method": "verifyProof(uint256[2],...)",
//          "calls": [["0x<32-byte word>", ...], ...], "optimize": true}
// stdout: {"results": [{"ok": bool, "returned": "0x..", "gasUsed": n, "txGas": n,
//          "error": str|null}], "deployGas": n, "bytecodeSize": n, "deployedSize": n}
// bytecodeSize is the creation code, deployedSize the runtime code (EIP-170 limits it to
// 24576 bytes).  With "compileOnly": true nothing is deployed: {"bytecodeSize", "deployedSize"}.
// gasUsed is the execution gas of the call; txGas adds the intrinsic 21000 and calldata cost.
import solc from 'solc';
import { createVM } from '@ethereumjs/vm';

function readStdin() {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c) => { data += c; });
    process.stdin.on('end', () => resolve(data));
  });
}

function hexToBytes(hex) {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

function bytesToHex(bytes) {
  return '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function word(value) {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 256n) throw new Error(`word out of range: ${value}`);
  return v.toString(16).padStart(64, '0');
}

function calldataGas(bytes) {
  let g = 0;
  for (const b of bytes) g += b === 0 ? 4 : 16;
  return g;
}

const input = JSON.parse(await readStdin());
const compiled = JSON.parse(solc.compile(JSON.stringify({
  language: 'Solidity',
  sources: { 'Verifier.sol': { content: input.source } },
  settings: {
    optimizer: { enabled: input.optimize !== false, runs: 200 },
    outputSelection: { '*': { '*': ['evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.methodIdentifiers'] } },
  },
})));
const errors = (compiled.errors || []).filter((e) => e.severity === 'error');
if (errors.length) {
  process.stdout.write(JSON.stringify({ compileErrors: errors.map((e) => e.formattedMessage) }));
  process.exit(3);
}
const contract = compiled.contracts['Verifier.sol'][input.contract];
const selector = contract.evm.methodIdentifiers[input.method];
if (!selector) throw new Error(`no method ${input.method}: ${Object.keys(contract.evm.methodIdentifiers)}`);
const bytecode = hexToBytes(contract.evm.bytecode.object);
const deployedSize = contract.evm.deployedBytecode.object.length / 2;
if (input.compileOnly) {
  process.stdout.write(JSON.stringify({ bytecodeSize: bytecode.length, deployedSize }));
  process.exit(0);
}

const vm = await createVM();
const deployed = await vm.evm.runCall({ data: bytecode, gasLimit: 30_000_000n });
if (deployed.execResult.exceptionError) throw new Error(`deploy failed: ${deployed.execResult.exceptionError.error}`);
const address = deployed.createdAddress;

const results = [];
for (const words of input.calls) {
  const data = hexToBytes('0x' + selector + words.map(word).join(''));
  const res = await vm.evm.runCall({ to: address, data, gasLimit: 10_000_000n });
  const err = res.execResult.exceptionError;
  const ret = res.execResult.returnValue;
  results.push({
    ok: !err && ret.length === 32 && ret[31] === 1 && ret.slice(0, 31).every((b) => b === 0),
    returned: bytesToHex(ret),
    gasUsed: Number(res.execResult.executionGasUsed),
    txGas: Number(res.execResult.executionGasUsed) + 21000 + calldataGas(data),
    error: err ? String(err.error) : null,
  });
}
process.stdout.write(JSON.stringify({
  results,
  deployGas: Number(deployed.execResult.executionGasUsed),
  bytecodeSize: bytecode.length,
  deployedSize,
}));
