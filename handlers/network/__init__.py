"""The network of congregations across homeservers: founding it, applying to it and
admitting a congregation (one voice per member congregation), leaving it, and which
of the network's cohosts answers in its shared rooms."""
