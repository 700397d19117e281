pragma circom 2.0.0;
// Benchmark statement: h_0 = a; h_{i+1} = Poseidon(h_i, b); output h_N.
// N is substituted by benchmarks/bench_circuits.py.
include "circomlib/circuits/poseidon.circom";

template PoseidonChain(n) {
    signal input a;
    signal input b;
    signal output h;
    component p[n];
    signal hs[n + 1];
    hs[0] <== a;
    for (var i = 0; i < n; i++) {
        p[i] = Poseidon(2);
        p[i].inputs[0] <== hs[i];
        p[i].inputs[1] <== b;
        hs[i + 1] <== p[i].out;
    }
    h <== hs[n];
}

component main = PoseidonChain(N_HASHES);
