/* bp_reduce.cl */
