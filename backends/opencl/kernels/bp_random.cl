/* bp_random.cl */
