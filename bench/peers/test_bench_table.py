"""bench_table.py on a results file with known runs: medians, the peers'
best thread count, ratios, GFLOP/s, % of peak and failure cells."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))

RUNS = [
    # contestant, workload, threads, round, status, images/s, ms, note
    ('cratec-llvm', 'tiny b1 infer', 1, 1, 'ok', 40.0, 25.0, ''),
    ('cratec-llvm', 'tiny b1 infer', 1, 2, 'ok', 10.0, 100.0, ''),
    ('cratec-llvm', 'tiny b1 infer', 1, 3, 'ok', 20.0, 50.0, ''),
    ('pytorch', 'tiny b1 infer', 1, 1, 'ok', 8.0, 125.0, ''),
    ('pytorch', 'tiny b1 infer', 2, 1, 'ok', 10.0, 100.0, ''),
    ('onnxruntime', 'tiny b1 infer', 1, 1, 'ok', 16.0, 62.5, ''),
    ('onnxruntime', 'tiny b1 infer', 2, 1, 'ok', 5.0, 200.0, ''),
    ('cratec-c', 'tiny b1 infer', 1, 1, 'failed', '', '', 'build: undefined reference to `f`'),
    ('pytorch', 'fmnist b128 train', 1, 1, 'ok', 500.0, 256.0, ''),
]


def table(peak='100', flops=('tiny=1000000000', 'fmnist=10000000')):
    with tempfile.NamedTemporaryFile('w', suffix='.tsv', delete=False) as f:
        for run in RUNS:
            f.write('\t'.join(str(x) for x in run) + '\n')
    try:
        cmd = [sys.executable, os.path.join(HERE, 'bench_table.py'), f.name, '--peak', peak]
        for item in flops:
            cmd += ['--flops', item]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    rows = {}
    for line in out.splitlines()[2:]:
        cells = [c.strip() for c in line.strip('|').split('|')]
        rows[(cells[0], cells[1], cells[2])] = cells[3:]
    return rows


class BenchTableTest(unittest.TestCase):
    def test_median_over_rounds_and_ratios(self):
        row = table()[('tiny b1 infer', 'cratec-llvm', '1')]
        # median of 40, 10, 20 images/s and of 25, 100, 50 ms
        self.assertEqual(row[0], '20.00')
        self.assertEqual(row[1], '50.00')
        # 1e9 flops per image at 20 images/s = 20 GFLOP/s, 20% of a 100 GFLOP/s core
        self.assertEqual(row[2], '20.0')
        self.assertEqual(row[3], '20.0%')
        # against the peers' best: ORT 16 (1 thread), PyTorch 10 (2 threads)
        self.assertEqual(row[4], '1.25x')
        self.assertEqual(row[5], '2.00x')
        self.assertEqual(row[6], '3')
        self.assertEqual(row[7], '10.00–40.00')

    def test_peers_show_their_best_thread_count_only(self):
        rows = table()
        self.assertIn(('tiny b1 infer', 'pytorch', '2'), rows)
        self.assertNotIn(('tiny b1 infer', 'pytorch', '1'), rows)
        self.assertIn(('tiny b1 infer', 'onnxruntime', '1'), rows)
        self.assertNotIn(('tiny b1 infer', 'onnxruntime', '2'), rows)
        # 10 images/s on 2 threads: 10 GFLOP/s of a 200 GFLOP/s peak
        self.assertEqual(rows[('tiny b1 infer', 'pytorch', '2')][3], '5.0%')

    def test_failure_is_a_cell_not_a_crash(self):
        row = table()[('tiny b1 infer', 'cratec-c', '1')]
        self.assertEqual(row[0], 'failed: build: undefined reference to `f`')
        self.assertEqual(row[6], '0')

    def test_training_counts_three_forward_passes_and_has_no_ort(self):
        row = table()[('fmnist b128 train', 'pytorch', '1')]
        self.assertEqual(row[2], '15.0')   # 3 x 1e7 flops x 500 images/s
        self.assertEqual(row[4], '—')

    def test_unknown_flops_and_peak_give_na(self):
        row = table(peak='0', flops=('tiny=',))[('tiny b1 infer', 'cratec-llvm', '1')]
        self.assertEqual(row[2:4], ['n/a', 'n/a'])


if __name__ == '__main__':
    unittest.main()
