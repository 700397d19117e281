pragma circom 2.1.0;
// The per-record statement of zkgate's contribution circuit (zkgate/study/circuit.py),
// written with circomlib for the constraint-count comparison in benchmarks/bench_study.py.
// Schema: age (7 bits), sex (1), diagnosis (5), sbp (8), cholesterol (9); a record is
// flag | columns = 31 bits, 8 records per field element.  Filter: lo <= age <= hi and
// sex == v (constants are private inputs, as in zkgate); statistics: count, sum and sum
// of squares of cholesterol, histogram of sbp over 4 bins with variable edges.  The
// chunk hash is the same Poseidon sponge (capacity = number of inputs).  The per-chunk
// parts (study-id hash, Pedersen commitment) are left out: the benchmark compares the
// marginal cost per record.
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";

template Sponge(n) {
    signal input in[n];
    signal output out;
    var nb = 1 + (n > 16 ? (n - 16 + 14) \ 15 : 0);
    component p[nb];
    var pos = 0;
    for (var b = 0; b < nb; b++) {
        var k = b == 0 ? (n < 16 ? n : 16) : (n - pos < 15 ? n - pos : 15);
        var m = b == 0 ? k : k + 1;
        p[b] = PoseidonEx(m, 1);
        p[b].initialState <== n;
        var off = 0;
        if (b > 0) { p[b].inputs[0] <== p[b - 1].out[0]; off = 1; }
        for (var i = 0; i < k; i++) { p[b].inputs[off + i] <== in[pos + i]; }
        pos += k;
    }
    out <== p[nb - 1].out[0];
}

template StudyChunk(N) {
    var PER = 8;
    var RB = 31;
    var NE = N \ PER;
    signal input packed[NE];
    signal input salt;
    signal input lo; signal input hi; signal input sexv;
    signal input edges[5];
    signal input tag;
    signal input root;
    signal output count; signal output total; signal output sumsq; signal output hist[4];

    component h = Sponge(NE + 2);
    h.in[0] <== tag;
    for (var e = 0; e < NE; e++) { h.in[1 + e] <== packed[e]; }
    h.in[NE + 1] <== salt;
    root === h.out;

    component bits[NE];
    component age[N]; component sex[N]; component sbp[N]; component chol[N];
    component ge[N]; component le[N]; component eq[N];
    component eg[N][5];
    signal p1[N]; signal p2[N]; signal p[N]; signal px[N]; signal pxx[N]; signal ph[N][4];
    var c = 0; var s = 0; var q = 0; var hs[4] = [0, 0, 0, 0];
    for (var e = 0; e < NE; e++) {
        bits[e] = Num2Bits(PER * RB);
        bits[e].in <== packed[e];
    }
    for (var r = 0; r < N; r++) {
        var e = r \ PER; var base = (r % PER) * RB;
        age[r] = Bits2Num(7); for (var i = 0; i < 7; i++) { age[r].in[i] <== bits[e].out[base + 1 + i]; }
        sex[r] = Bits2Num(1); sex[r].in[0] <== bits[e].out[base + 8];
        sbp[r] = Bits2Num(8); for (var i = 0; i < 8; i++) { sbp[r].in[i] <== bits[e].out[base + 14 + i]; }
        chol[r] = Bits2Num(9); for (var i = 0; i < 9; i++) { chol[r].in[i] <== bits[e].out[base + 22 + i]; }
        ge[r] = GreaterEqThan(8); ge[r].in[0] <== age[r].out; ge[r].in[1] <== lo;
        le[r] = LessEqThan(8); le[r].in[0] <== age[r].out; le[r].in[1] <== hi;
        eq[r] = IsEqual(); eq[r].in[0] <== sex[r].out; eq[r].in[1] <== sexv;
        p1[r] <== bits[e].out[base] * ge[r].out;
        p2[r] <== p1[r] * le[r].out;
        p[r] <== p2[r] * eq[r].out;
        px[r] <== p[r] * chol[r].out;
        pxx[r] <== px[r] * chol[r].out;
        for (var b = 0; b < 5; b++) {
            eg[r][b] = GreaterEqThan(9); eg[r][b].in[0] <== sbp[r].out; eg[r][b].in[1] <== edges[b];
        }
        for (var b = 0; b < 4; b++) {
            ph[r][b] <== p[r] * (eg[r][b].out - eg[r][b + 1].out);
            hs[b] += ph[r][b];
        }
        c += p[r]; s += px[r]; q += pxx[r];
    }
    count <== c; total <== s; sumsq <== q;
    for (var b = 0; b < 4; b++) { hist[b] <== hs[b]; }
}
