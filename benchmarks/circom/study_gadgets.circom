pragma circom 2.1.0;
// The GROUP BY and cross-product gadgets of zkgate's contribution circuit (zkgate/study/circuit.py,
// zkgate/study/statistics/moments.py), written in circom for the per-record constraint comparison
// of benchmarks/bench_study.py (issue 19).  Per record: p (the record counts: flag times the
// predicate), the group column x with C categories key[0..C-1], and K integer columns a[0..K-1].
//
// GroupByCircomlib: the cell indicators as a circom developer writes them with circomlib,
//   g_c = p * IsEqual(x, key_c)   (IsEqual = IsZero of the difference: 2 constraints, then 1 product).
// GroupByHinted: the statement zkgate proves, in circom: the one-hot g_c is a witness hint (<--),
//   each g_c boolean, sum g_c = p and sum g_c * key_c = p * x (the keys are constants), so a
//   counted record sits in exactly the cell of its key.
// CrossProducts: per cell, the sums and cross products of the K columns that OLS/CORR/COVAR need:
//   ga[c][i] = g_c * a_i (the cell's sum of a_i) and ga[c][i] * a_j for i <= j (the cell's sum of
//   a_i * a_j: XtX, Xty, yty).
// The per-chunk parts (record decoding, Poseidon, the Pedersen commitment) are left out: the
// benchmark compares the marginal cost per record of the gadgets alone.
include "circomlib/circuits/comparators.circom";

template GroupByCircomlib(C) {
    signal input p;
    signal input x;
    signal output g[C];
    component eq[C];
    for (var c = 0; c < C; c++) {
        eq[c] = IsEqual();
        eq[c].in[0] <== x;
        eq[c].in[1] <== c + 1;  // keys 1..C, as the diagnosis column of the synthetic patients
        g[c] <== p * eq[c].out;
    }
}

template GroupByHinted(C) {
    signal input p;
    signal input x;
    signal output g[C];
    var total = 0;
    var keyed = 0;
    for (var c = 0; c < C; c++) {
        g[c] <-- (p == 1 && x == c + 1) ? 1 : 0;
        g[c] * (g[c] - 1) === 0;
        total += g[c];
        keyed += g[c] * (c + 1);
    }
    total === p;
    signal px;
    px <== p * x;
    keyed === px;
}

template CrossProducts(C, K) {
    signal input g[C];
    signal input a[K];
    signal output ga[C][K];
    signal output gab[C][K][K];
    for (var c = 0; c < C; c++) {
        for (var i = 0; i < K; i++) {
            ga[c][i] <== g[c] * a[i];
        }
        for (var i = 0; i < K; i++) {
            for (var j = 0; j < K; j++) {
                if (j >= i) {
                    gab[c][i][j] <== ga[c][i] * a[j];
                } else {
                    gab[c][i][j] <== 0;
                }
            }
        }
    }
}

// N records; GADGET 0 = GroupByCircomlib(C), 1 = GroupByHinted(C), 2 = GroupByHinted(C) + CrossProducts(C, K).
// The accumulated outputs (sums over the records) are the public results, as in zkgate.
template GadgetChunk(N, C, K, GADGET) {
    signal input p[N];
    signal input x[N];
    signal input a[N][K];
    signal output counts[C];
    signal output sums[C][K];
    signal output prods[C][K][K];
    var cnt[C];
    var sm[C][K];
    var pr[C][K][K];
    for (var c = 0; c < C; c++) {
        cnt[c] = 0;
        for (var i = 0; i < K; i++) { sm[c][i] = 0; for (var j = 0; j < K; j++) { pr[c][i][j] = 0; } }
    }
    component gl[N];
    component gh[N];
    component cp[N];
    for (var r = 0; r < N; r++) {
        if (GADGET == 0) {
            gl[r] = GroupByCircomlib(C);
            gl[r].p <== p[r];
            gl[r].x <== x[r];
            for (var c = 0; c < C; c++) { cnt[c] += gl[r].g[c]; }
        } else {
            gh[r] = GroupByHinted(C);
            gh[r].p <== p[r];
            gh[r].x <== x[r];
            for (var c = 0; c < C; c++) { cnt[c] += gh[r].g[c]; }
            if (GADGET == 2) {
                cp[r] = CrossProducts(C, K);
                for (var c = 0; c < C; c++) { cp[r].g[c] <== gh[r].g[c]; }
                for (var i = 0; i < K; i++) { cp[r].a[i] <== a[r][i]; }
                for (var c = 0; c < C; c++) {
                    for (var i = 0; i < K; i++) {
                        sm[c][i] += cp[r].ga[c][i];
                        for (var j = i; j < K; j++) { pr[c][i][j] += cp[r].gab[c][i][j]; }
                    }
                }
            }
        }
    }
    for (var c = 0; c < C; c++) {
        counts[c] <== cnt[c];
        for (var i = 0; i < K; i++) {
            sums[c][i] <== sm[c][i];
            for (var j = 0; j < K; j++) { prods[c][i][j] <== pr[c][i][j]; }
        }
    }
}
