"""Keeping a change costs what the call changed, however much other accounts hold."""

from .journal_cost import CLASS_SIZE, KeptCloud, measure


def test_a_kept_change_weighs_the_same_beside_one_account_as_beside_a_class_of_thirty(
    aws, tmp_path
):
    cloud = KeptCloud()

    alone = measure(cloud, tmp_path / "alone", 1)
    in_a_class = measure(cloud, tmp_path / "in-a-class", CLASS_SIZE)

    print(f"\n{alone.report()}\n{in_a_class.report()}")
    # Timings are make bench's to judge (benchmarks/test_local_cloud_journal.py); the bytes
    # each change writes tell without a clock that a change holds what its call changed and
    # nothing of the other accounts.
    assert [k.call for k in in_a_class.kept] == [k.call for k in alone.kept]
    for one, many in zip(alone.kept, in_a_class.kept):
        assert many.bytes < 1.1 * one.bytes + 10_000, many.call
