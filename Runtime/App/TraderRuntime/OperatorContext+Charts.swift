import MarketModel

extension OperatorContext {
    func sendChart(_ symbol: Symbol?, chatID: Int64, now: Int64) async {
        await reply("Charts are not drawn yet.", to: chatID)
    }
}
