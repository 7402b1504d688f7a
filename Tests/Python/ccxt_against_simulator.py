#!/usr/bin/env python3
"""A third-party client against bitget-sim: ccxt.bitget (4.5.90, ccxt's default options) on BTC/USDT:USDT.

Arguments: the simulator's base URL (no trailing /api), API key, secret, passphrase.
ccxt's default load_markets asks contracts for all six product types, spot coins and symbols, margin
currencies, and probes /api/v3/account/settings (a classic account answers it with an error).
Prints one JSON line per step; exits 1 with a message on the first failure.
Run by Tests/BitGetTests/ThirdPartyClientTests.swift.
"""
import json, sys, traceback

import ccxt

SYMBOL = 'BTC/USDT:USDT'
AMOUNT = 0.01


def fail(step, message):
    print(json.dumps({'step': step, 'ok': False, 'error': message}), flush=True)
    sys.exit(f'FAILED at step {step}: {message}')


def report(step, name, **result):
    print(json.dumps({'step': step, 'name': name, 'ok': True, **result}, default=str), flush=True)


def run(step, name, call):
    try:
        return call()
    except Exception as error:  # ccxt errors carry the exchange's body in their message
        traceback.print_exc(file=sys.stderr)
        fail(step, f'{name}: {type(error).__name__}: {error}')


def make_exchange():
    if len(sys.argv) != 5:
        sys.exit('usage: ccxt_against_simulator.py URL KEY SECRET PASSPHRASE')
    url, key, secret, passphrase = sys.argv[1:]
    exchange = ccxt.bitget({'apiKey': key, 'secret': secret, 'password': passphrase, 'options': {'defaultType': 'swap'}})
    base = url.rstrip('/')
    for group in exchange.urls['api']:  # spot, mix, user, p2p, broker, margin, common, tax, convert, copy, earn, uta
        exchange.urls['api'][group] = base
    exchange.session.trust_env = False  # never send loopback traffic through an HTTP(S)_PROXY
    return exchange


def main():
    ex = make_exchange()

    markets = run(1, 'load_markets', ex.load_markets)
    if SYMBOL not in markets:
        fail(1, f'{SYMBOL} not among the loaded markets {sorted(markets)[:20]}')
    m = markets[SYMBOL]
    report(1, 'load_markets', markets=len(markets), id=m['id'], settleId=m['settleId'], precision=m['precision'],
           limits=m['limits'], active=m['active'])

    candles = run(2, 'fetch_ohlcv', lambda: ex.fetch_ohlcv(SYMBOL, '1m', limit=5))
    if not candles or any(len(c) != 6 or None in c for c in candles):
        fail(2, f'bad candles: {candles}')
    report(2, 'fetch_ohlcv', count=len(candles), last=candles[-1])

    r = run(3, 'set_position_mode', lambda: ex.set_position_mode(False, SYMBOL))
    report(3, 'set_position_mode', data=r.get('data'))

    r = run(4, 'set_margin_mode', lambda: ex.set_margin_mode('isolated', SYMBOL))
    report(4, 'set_margin_mode', data=r.get('data'))

    r = run(5, 'set_leverage', lambda: ex.set_leverage(10, SYMBOL))  # one-way mode: no holdSide needed
    report(5, 'set_leverage', data=r.get('data'))

    order = run(6, 'create_order', lambda: ex.create_order(SYMBOL, 'market', 'buy', AMOUNT, None, {'marginMode': 'isolated'}))
    if not order.get('id'):
        fail(6, f'no order id in {order["info"]}')
    detail = run(6, 'fetch_order', lambda: ex.fetch_order(order['id'], SYMBOL))
    fill = detail.get('average')
    if not fill:
        fail(6, f'order {order["id"]} has no average fill price: {detail["info"]}')
    report(6, 'create_order', id=order['id'], status=detail['status'], filled=detail['filled'], average=fill)

    stop_price = float(ex.price_to_precision(SYMBOL, fill * 0.98))
    stop = run(7, 'create_order(stopLossPrice)', lambda: ex.create_order(
        SYMBOL, 'market', 'sell', AMOUNT, None, {'stopLossPrice': stop_price, 'triggerType': 'mark_price'}))
    if not stop.get('id'):
        fail(7, f'no order id for the pos_loss stop: {stop["info"]}')
    report(7, 'place_pos_loss', id=stop['id'], triggerPrice=stop_price)

    plans = run(8, 'fetch_open_orders', lambda: ex.fetch_open_orders(SYMBOL, None, None, {'planType': 'profit_loss'}))
    mine = [o for o in plans if o['id'] == stop['id']]
    if not mine:
        fail(8, f'stop {stop["id"]} not listed; got {[o["id"] for o in plans]}')
    o = mine[0]
    if o['triggerPrice'] is None or abs(o['triggerPrice'] - stop_price) > 1e-9 or o['info'].get('planType') != 'pos_loss':
        fail(8, f'listed stop differs: triggerPrice={o["triggerPrice"]} planType={o["info"].get("planType")}')
    report(8, 'list_stops', count=len(plans), id=o['id'], status=o['status'], triggerPrice=o['triggerPrice'],
           triggerType=o['info'].get('triggerType'), side=o['side'])

    positions = run(9, 'fetch_positions', lambda: ex.fetch_positions([SYMBOL]))
    if len(positions) != 1:
        fail(9, f'expected one position, got {len(positions)}: {[p["info"] for p in positions]}')
    p = positions[0]
    checks = {'side': (p['side'], 'long'), 'contracts': (p['contracts'], AMOUNT), 'marginMode': (p['marginMode'], 'isolated'),
              'leverage': (p['leverage'], 10), 'hedged': (p['hedged'], False)}
    wrong = {k: v for k, (v, want) in checks.items() if v != want}
    if wrong:
        fail(9, f'position differs from expected: {wrong}; info={p["info"]}')
    report(9, 'fetch_positions', side=p['side'], contracts=p['contracts'], entryPrice=p['entryPrice'],
           leverage=p['leverage'], marginMode=p['marginMode'], liquidationPrice=p['liquidationPrice'],
           stopLoss=p['info'].get('stopLoss'))


if __name__ == '__main__':
    main()
