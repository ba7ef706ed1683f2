"""What an admin runs besides the service: `cohost init`, `doctor`, `backup` and
`restore`, the demo and its throwaway homeserver (also the tests' Synapse)."""
