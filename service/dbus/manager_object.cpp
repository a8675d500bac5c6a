// placeholder: replaced by the bus facade work
