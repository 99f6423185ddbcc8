import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """The lab's nets are tiny: one thread is faster than several on a shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
