"""Privacy: `!forget me` erases what cohost's database holds about the sender (the
engines that hold it do the erasing); the README says what is kept and why."""
