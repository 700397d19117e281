// Benchmark circuit: a chain of N Poseidon(2) hashes (about 240 constraints each).
pragma circom 2.0.0;
include "../../node_modules/circomlib/circuits/poseidon.circom";

template PoseidonChain(N) {
    signal input seed;
    signal input salt;
    signal output out;
    component h[N];
    signal acc[N + 1];
    acc[0] <== seed;
    for (var i = 0; i < N; i++) {
        h[i] = Poseidon(2);
        h[i].inputs[0] <== acc[i];
        h[i].inputs[1] <== salt;
        acc[i + 1] <== h[i].out;
    }
    out <== acc[N];
}
